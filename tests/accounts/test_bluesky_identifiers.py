"""`/connect bluesky` with every way people name their account, on the real local AT
Protocol network, through the dispatcher (issue 15 item 4).

The dev network's handles end in ``.test``: the default suffix is ``test`` here, and its
PDS is also the entryway where e-mail addresses log in (bsky.social in production).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from chatbot.config import Settings
from tests.accounts.conftest import Bot
from tests.accounts.test_bluesky import _app_password, _jwt, _stored
from tests.conversation.harness import texts
from tests.egress.kit import StubResolver
from tests.servers.atproto import AtprotoNetwork

BOT = pytest.mark.parametrize("bot", ["identifier_settings"], indirect=True)


def _forms(handle: str, did: str, email: str) -> list[str]:
    name = handle.removesuffix(".test")
    return [
        name,  # a bare name: name.test here (name.bsky.social by default)
        "@" + name.upper(),
        "@" + handle,
        "\uff20" + handle.upper().replace(".", "\u200b.") + ".",  # ＠, case, zero-width, dot
        f"https://bsky.app/profile/{handle}",
        f"https://bsky.app/profile/{did}",
        did,
        email.upper(),
    ]


@BOT
async def test_every_form_connects_the_same_account(
    bot: Bot, atproto_network: AtprotoNetwork, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    account = atproto_network.create_account("idf" + secrets.token_hex(3))
    email = f"{account.handle}@example.com"  # what the dev network registered
    app_password = _app_password(atproto_network, account.handle)
    for number, form in enumerate(_forms(account.handle, account.did, email)):
        chat = bot.chat(f"user{number}")
        said = texts(await chat.say(f"/connect bluesky {form} {app_password}"))
        assert (chat.chat, "1") in bot.platform.deleted, form  # it held the password
        assert f"Connected to Bluesky as {account.handle}" in said, (form, said)
        user = await bot.services.users.get_or_create("telegram", f"user{number}")
        stored = await bot.services.accounts.get(user.id, "bluesky")
        assert stored is not None and stored.did == account.did, form
        port = atproto_network.pds_url.rsplit(":", 1)[1]
        assert stored.service_url.endswith(f":{port}")  # the PDS its DID document names
        assert email not in said.lower()  # never repeated, even when it was the identifier
        if number == 0:
            assert f"I read “{form}” as {account.handle}" in said
        if form == email.upper():
            assert "Logging in with your e-mail address at 127.0.0.1" in said
    # the e-mail address is kept nowhere: not in the files, not in the logs
    assert email.encode() not in bot.data_files().lower()
    assert email not in caplog.text.lower()


@BOT
async def test_the_prompt_takes_a_link_or_an_address(
    bot: Bot, atproto_network: AtprotoNetwork
) -> None:
    account = atproto_network.create_account("idp" + secrets.token_hex(3))
    app_password = _app_password(atproto_network, account.handle)
    chat = bot.chat("pat", language_hint="fr")
    asked = texts(await chat.say("/connect bluesky"))
    assert "https://bsky.app/profile/" in asked and "did:plc:" in asked and "e-mail" in asked
    assert "votrenom seul veut dire votrenom.test" in asked
    said = texts(await chat.say(f"https://bsky.app/profile/{account.handle.upper()}"))
    assert f"mot de passe d’application pour {account.handle}" in said
    assert f"Connecté à Bluesky en tant que {account.handle}" in texts(
        await chat.say(app_password)
    )
    chat = bot.chat("quinn")
    await chat.say("/connect bluesky")
    said = texts(await chat.say(f"{account.handle}@example.com"))
    assert "app password for the account of this e-mail address" in said
    assert f"Connected to Bluesky as {account.handle}" in texts(await chat.say(app_password))
    # two words at the password prompt are a password with a space, not "name password"
    chat = bot.chat("ravi")
    await chat.say(f"/connect bluesky {account.handle}")
    said = texts(await chat.say("hunter two"))
    assert "refused this handle and password" in said and "hunter" not in said


@BOT
async def test_what_names_no_account_is_refused_with_examples(bot: Bot) -> None:
    chat = bot.chat("rae")
    cases = {
        "@me@mastodon.social": "That looks like a Mastodon (fediverse) address",
        "bob.mastodon.social.ap.brid.gy": "bridged into Bluesky (Bridgy Fed)",
        "https://example.org/@me": "That link is not a Bluesky profile",
        "Hunter2!secret": "That does not name a Bluesky account. Send it like one of these",
        # shaped like a bare name, but no such account: a password, never repeated
        "Fuzzy-pass-7q2x-k9vd3": "That does not name a Bluesky account. Send it like one of these",
    }
    for number, (text, expected) in enumerate(cases.items()):
        await chat.say("/connect bluesky")
        said = texts(await chat.say(text))
        assert expected in said, said
        assert text.lower() not in said.lower()  # never repeated: it may be a password
        assert (chat.chat, str(2 * number + 2)) in bot.platform.deleted
    await chat.say("/connect bluesky")
    assert "yourname.test" in texts(await chat.say("did:plc:short"))
    said = texts(await chat.say("/connect bluesky hunter2 abcd-efgh-ijkl-mnop"))  # one message
    assert "That does not name a Bluesky account" in said and "hunter2" not in said


@BOT
async def test_an_unknown_email_says_what_to_do(bot: Bot, atproto_network: AtprotoNetwork) -> None:
    chat = bot.chat("sam")
    said = texts(await chat.say("/connect bluesky nobody.here@example.com abcd-efgh-ijkl-mnop"))
    host = atproto_network.pds_url.split("://")[1]
    assert f"{host} did not accept this e-mail address with this app password" in said
    assert "send your handle instead" in said
    user = await bot.services.users.get_or_create("telegram", "sam")
    assert await _stored(bot, user.id) is None


@pytest.fixture
async def fake_entryway() -> AsyncIterator[FakeEntryway]:
    entryway = FakeEntryway()
    async with entryway.running():
        yield entryway


class FakeEntryway:
    """An entryway that logs an e-mail address into a DID it does not host: createSession
    answers a session for `did`; deleteSession is recorded."""

    def __init__(self) -> None:
        self.did = ""
        self.calls: list[str] = []
        self.url = ""

    async def _xrpc(self, request: web.Request) -> web.Response:
        self.calls.append(request.match_info["method"])
        if request.match_info["method"] == "com.atproto.server.createSession":
            access = _jwt({"scope": "com.atproto.appPass", "sub": self.did,
                           "exp": int(time.time()) + 3600})  # fmt: skip
            return web.json_response({
                "accessJwt": access, "refreshJwt": _jwt({"sub": self.did}),
                "handle": "jay.bsky.team", "did": self.did,
            })  # fmt: skip
        return web.json_response({})

    def running(self) -> Any:
        import contextlib

        @contextlib.asynccontextmanager
        async def serve() -> AsyncIterator[None]:
            app = web.Application()
            app.router.add_route("*", "/xrpc/{method}", self._xrpc)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
            try:
                yield
            finally:
                await runner.cleanup()

        return serve()


@pytest.fixture
def entryway_settings(identifier_settings: Settings, fake_entryway: FakeEntryway) -> Settings:
    return identifier_settings.model_copy(update={"bluesky_entryway_url": fake_entryway.url})


@pytest.mark.parametrize("bot", ["entryway_settings"], indirect=True)
async def test_a_session_whose_did_document_names_another_pds_is_ended(
    fake_entryway: FakeEntryway, bot: Bot, atproto_network: AtprotoNetwork
) -> None:  # the entryway first: the bot's settings need its address
    """The entryway says the session is a real account's, whose DID document names the
    dev PDS; that PDS does not know the session: ended at the entryway, nothing kept."""
    victim = atproto_network.create_account("idv" + secrets.token_hex(3))
    fake_entryway.did = victim.did
    chat = bot.chat("tia")
    said = texts(await chat.say("/connect bluesky me@example.com abcd-efgh-ijkl-mnop"))
    assert "is not the one your account’s identity (its DID document) names" in said
    assert fake_entryway.calls == [
        "com.atproto.server.createSession", "com.atproto.server.deleteSession",
    ]  # fmt: skip
    user = await bot.services.users.get_or_create("telegram", "tia")
    assert await bot.services.accounts.get(user.id, "bluesky") is None
    assert victim.handle not in said and "jay.bsky.team" not in said


@pytest.fixture
def dns_settings(identifier_settings: Settings) -> Settings:
    """No resolveHandle service: handles resolve through DNS TXT (a stub resolver), then
    ``.well-known``, then the AppView, as in production."""
    return identifier_settings.model_copy(update={"bluesky_resolver_url": None})


@pytest.mark.parametrize("bot", ["dns_settings"], indirect=True)
async def test_a_custom_domain_resolves_through_dns(
    bot: Bot, atproto_network: AtprotoNetwork
) -> None:
    dns = StubResolver()
    bot.services.egress.resolver = dns
    account = atproto_network.create_account("idd" + secrets.token_hex(3))
    app_password = _app_password(atproto_network, account.handle)
    dns.txt_records["_atproto.me.univ-example.fr"] = [f"did={account.did}"]
    atproto_network.wait_for_profiles([account.did])  # the AppView resolves the .test name
    chat = bot.chat("uma")
    said = texts(await chat.say(f"/connect bluesky Me.Univ-Example.FR {app_password}"))
    # connected; the handle shown is the one the DID document claims and that resolves
    # back (the custom name is not claimed by the document, so it is not shown)
    assert f"Connected to Bluesky as {account.handle}" in said, said
    user = await bot.services.users.get_or_create("telegram", "uma")
    stored = await bot.services.accounts.get(user.id, "bluesky")
    assert stored is not None and stored.did == account.did
