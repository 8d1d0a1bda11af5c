"""`/connect mastodon` and a follow on Mastodon-compatible servers, each played over real
HTTP by the stand-in the way that software answers (`tests.servers.fediverse_flavours`),
through the dispatcher and the production client code (issue 15 item 4)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet

from chatbot.accounts.fediverse import BROAD, PRECISE
from chatbot.accounts.mastodon_apps import registered_scopes
from chatbot.platforms.base import Text
from chatbot.secrets import SecretBox
from chatbot.storage.accounts import AccountStore, MastodonApp
from chatbot.storage.db import Database
from handlers.follow import runner
from tests.accounts.conftest import Bot
from tests.accounts.test_mastodon import _link
from tests.conversation.harness import Chat, start_follow, texts
from tests.export.matches import masto
from tests.servers.fediverse_flavours import FLAVOURS, INVALID_SCOPE, code_on
from tests.servers.fediverse_standin import FediAccount, FediverseStandin

BOT = pytest.mark.parametrize("bot", ["mastodon_settings"], indirect=True)
BROAD_S = " ".join(BROAD)

# flavour -> what the reply says about the server, and the scopes the link asks for
CONNECTS = {
    "mastodon": ("This server runs Mastodon 4.3.2.", "read write:follows write:lists"),
    "gotosocial": ("This server runs GoToSocial 0.20.1+git-5a6b7c8.", "write:accounts"),
    "gotosocial-0.18": ("GoToSocial 0.18.3 cannot limit what an app may do", "write:follows"),
    "akkoma": ("This server runs Akkoma 3.13.2.", "write:lists"),
    "pleroma": ("This server runs Pleroma 2.7.0.", "write:lists"),
    "pleroma-no-nodeinfo": ("This server runs Pleroma 2.7.0.", "write:lists"),
    "mastodon-2.4": ("does not accept the bot’s precise permissions", "read write follow"),
    "strict": ("does not accept the bot’s precise permissions", "read write follow"),
    "takahe": ("This server runs Takahē 0.11.0.", "write:follows"),
}


@pytest.fixture
async def standin(request: pytest.FixtureRequest) -> AsyncIterator[FediverseStandin]:
    server = FediverseStandin(FLAVOURS[request.param])
    for account in (FediAccount("me", "Me"), FediAccount("alice", "Alice"),
                    FediAccount("hermit", "Hermit", locked=True)):  # fmt: skip
        server.add(account)
    async with server.running():
        yield server


async def _connect(chat: Chat, server: FediverseStandin, *, press: str = "") -> str:
    """/connect mastodon SERVER (or a button), approve as @me, paste the code."""
    command = f"/connect mastodon {server.base}"
    said = (await chat.press(press)) if press else await chat.say(command)
    answer = texts(said)
    status, page = await asyncio.to_thread(server.approve, _link(answer), "me")
    assert status == 200, page
    return answer + "\n" + texts(await chat.say(code_on(page)))


async def _follow(bot: Bot, chat: Chat, server: FediverseStandin, user: str) -> None:
    """/follow mastodon for two matches on the server: both followed there."""
    record = await bot.services.users.get_or_create("telegram", user)
    found = [masto(1, acct="alice"), masto(2, acct=f"hermit@{server.domain}")]
    bot.services.match_cache[record.id] = (time.monotonic(), found)
    jobs = runner(bot.services)
    await start_follow(chat, "/follow mastodon")
    await jobs.idle()
    assert server.oauth.follows["me"] == {"alice", "hermit"}
    assert "Mastodon: finished.\n2 followed" in texts(await chat.say("/status"))


@BOT
@pytest.mark.parametrize("standin", list(CONNECTS), indirect=True)
async def test_connect_then_follow(bot: Bot, standin: FediverseStandin) -> None:
    note, scopes = CONNECTS[standin.flavour.key]
    chat = bot.chat("ana")
    said = await _connect(chat, standin)
    assert note in said, said
    asked = parse_qs(urlsplit(_link(said)).query)
    assert scopes in asked["scope"][0]
    assert ("code_challenge" in asked) == standin.flavour.oauth_metadata  # PKCE if offered
    assert f"Connected to Mastodon as me@{standin.domain}" in said
    await _follow(bot, chat, standin, "ana")


@BOT
@pytest.mark.parametrize("standin", ["piaille"], indirect=True)
async def test_a_page_that_refuses_the_scopes_gets_the_broad_ones(
    bot: Bot, standin: FediverseStandin
) -> None:
    """Registration takes the precise scopes, the authorization page refuses them: the
    user presses the button, and a new link asks for read write follow."""
    chat = bot.chat("bea")
    replies = await chat.say(f"/connect mastodon {standin.base}")
    status, page = await asyncio.to_thread(standin.approve, _link(texts(replies)), "me")
    assert status == 400 and INVALID_SCOPE in page
    button = [b for r in replies if isinstance(r, Text) for row in r.buttons for b in row]
    assert [b.label for b in button] == ["The page says the scope is invalid"]
    said = await _connect(chat, standin, press=button[0].data)
    assert "asks for the broad ones (read, write, follow)" in said
    assert parse_qs(urlsplit(_link(said)).query)["scope"] == ["read write follow"]
    assert f"Connected to Mastodon as me@{standin.domain}" in said
    await _follow(bot, chat, standin, "bea")
    # the next user of this server gets the broad app at once: no refused page first
    again = texts(await bot.chat("cid").say(f"/connect mastodon {standin.base}"))
    assert parse_qs(urlsplit(_link(again)).query)["scope"] == ["read write follow"]


REFUSALS = {
    "misskey": "runs Misskey 2024.11.0, which does not offer the Mastodon login the bot needs",
    "sharkey": "runs Sharkey 2024.9.4, which does not offer the Mastodon login the bot needs",
    "lemmy": "runs Lemmy 0.19.5, which does not offer the Mastodon login the bot needs",
    "closed": "does not let new apps register (its administrators closed it)",
    "pixelfed": "cannot show a code to paste here (the “out-of-band” login",
    "read-only": "refused every permission the bot can ask for, even the broad ones",
}


@BOT
@pytest.mark.parametrize("standin", list(REFUSALS), indirect=True)
async def test_servers_that_refuse_are_explained(bot: Bot, standin: FediverseStandin) -> None:
    said = texts(await bot.chat("dee").say(f"/connect mastodon {standin.base}"))
    assert REFUSALS[standin.flavour.key] in said, said
    assert standin.domain in said
    assert "/export makes following_accounts.csv" in said  # what to do instead
    if standin.flavour.key in ("misskey", "sharkey"):  # refused by name: nothing registered
        assert "/api/v1/apps" not in standin.hits
    assert standin.oauth.tokens == {}


@BOT
@pytest.mark.parametrize("standin", ["sharkey"], indirect=True)
async def test_a_refusal_in_french(bot: Bot, standin: FediverseStandin) -> None:
    chat = bot.chat("eve", language_hint="fr")
    said = texts(await chat.say(f"/connect mastodon {standin.base}"))
    assert f"{standin.domain} fonctionne avec Sharkey 2024.9.4" in said
    assert "/export produit following_accounts.csv" in said


async def test_apps_keep_their_scopes(database: Database) -> None:
    """On SQLite and PostgreSQL: the scopes an app was registered with come back; an app
    saved before they were recorded reads as the precise ones."""
    store = AccountStore(database, SecretBox(Fernet.generate_key()))
    await store.save_mastodon_app(MastodonApp("https://a.example", "id", "s", False, BROAD_S))
    await store.save_mastodon_app(MastodonApp("https://b.example", "id", "s", True))
    broad = await store.mastodon_app("https://a.example")
    old = await store.mastodon_app("https://b.example")
    assert broad is not None and broad.scopes == BROAD_S and broad.client_secret == "s"
    assert old is not None and registered_scopes(old) == " ".join(PRECISE)
