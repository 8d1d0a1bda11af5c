"""Identity taken on the remote side's word (threat-model §4.3, issue 11 items 8a/8b).

Bluesky: the handle shown and stored after /connect is the one the DID document claims
AND that resolves back to the DID independently of the PDS (here through the stub DNS
and the AppView); a fake PDS that answers createSession with someone else's handle, or
for another DID, changes nothing. Mastodon: a WebFinger answer naming an account on
another domain is kept only when that domain's own WebFinger gives the same actor.
"""

from __future__ import annotations

import base64
import json
import time

from aiohttp import web

from chatbot.archive.model import Owner, ParsedArchive
from chatbot.storage.links import UserLinks
from tests.conversation.harness import texts
from tests.egress.conftest import Bot
from tests.egress.kit import Attacker, StubResolver

PLC_DID = "did:plc:" + "c" * 24
REAL_JAY = "did:plc:" + "j" * 24
PASSWORD = "abcd-efgh-ijkl-mnop"


def _jwt(did: str) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    payload = {"scope": "com.atproto.appPass", "sub": did, "iat": now, "exp": now + 3600}
    return f"{part({'alg': 'ES256K', 'typ': 'at+jwt'})}.{part(payload)}.c2ln"


def _fake_pds(attacker: Attacker, *, handle: str, did: str = PLC_DID) -> list[str]:
    """createSession answering `handle` (and `did`) whatever was asked; logs the logins."""
    logins: list[str] = []

    async def create_session(request: web.Request) -> web.Response:
        body = await request.json()
        logins.append(str(body.get("identifier")))
        return web.json_response({
            "did": did, "handle": handle, "accessJwt": _jwt(did), "refreshJwt": _jwt(did),
            "active": True,
        })  # fmt: skip

    attacker.handler("pds.example", "/xrpc/com.atproto.server.createSession", create_session)
    return logins


def _document(attacker: Attacker, claimed: str) -> None:
    attacker.json("*", f"/plc/{PLC_DID}", {
        "id": PLC_DID,
        "alsoKnownAs": [f"at://{claimed}"],
        "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                     "serviceEndpoint": f"https://pds.example:{attacker.https_port}"}],
    })  # fmt: skip


async def _connected_handle(bot: Bot, user: str) -> str | None:
    record = await bot.services.users.get_or_create("telegram", user)
    found = await bot.services.accounts.of_user(record.id)
    return found["bluesky"][0] if "bluesky" in found else None


async def test_a_fake_pds_cannot_lend_a_foreign_handle(
    bot: Bot, attacker: Attacker, resolver: StubResolver
) -> None:
    """The DID document and the PDS both say jay.bsky.team; that handle resolves to
    another DID (the AppView says so): the bot shows and stores the DID instead."""
    _document(attacker, "jay.bsky.team")
    logins = _fake_pds(attacker, handle="jay.bsky.team")
    attacker.json("*", "/appview/xrpc/com.atproto.identity.resolveHandle", {"did": REAL_JAY})
    reply = texts(await bot.chat("mallory").say(f"/connect bluesky {PLC_DID} {PASSWORD}"))
    assert logins == [PLC_DID]  # the password went to the PDS the DID document names
    assert f"Connected to Bluesky as {PLC_DID}" in reply
    assert "jay.bsky.team" not in reply
    assert await _connected_handle(bot, "mallory") == PLC_DID
    status = texts(await bot.chat("mallory").say("/connect"))
    assert PLC_DID in status and "jay.bsky.team" not in status


async def test_the_pds_word_is_not_the_handle_even_when_the_document_is_honest(
    bot: Bot, attacker: Attacker, resolver: StubResolver
) -> None:
    """Both directions agree on evil.example (DNS TXT and the DID document): that is what
    is shown, whatever handle the PDS answered."""
    resolver.txt_records["_atproto.evil.example"] = [f"did={PLC_DID}"]
    _document(attacker, "evil.example")
    _fake_pds(attacker, handle="jay.bsky.team")
    reply = texts(await bot.chat("erin").say(f"/connect bluesky evil.example {PASSWORD}"))
    assert "Connected to Bluesky as evil.example" in reply
    assert "jay.bsky.team" not in reply
    assert await _connected_handle(bot, "erin") == "evil.example"


async def test_a_handle_the_dns_gives_to_someone_else_is_not_shown(
    bot: Bot, attacker: Attacker, resolver: StubResolver
) -> None:
    resolver.txt_records["_atproto.evil.example"] = [f"did={REAL_JAY}"]
    _document(attacker, "evil.example")  # claims evil.example, which is not its own
    _fake_pds(attacker, handle="evil.example")
    reply = texts(await bot.chat("frank").say(f"/connect bluesky {PLC_DID} {PASSWORD}"))
    assert f"Connected to Bluesky as {PLC_DID}" in reply
    assert await _connected_handle(bot, "frank") == PLC_DID


async def test_a_session_for_another_did_is_refused(bot: Bot, attacker: Attacker) -> None:
    _document(attacker, "evil.example")
    _fake_pds(attacker, handle="jay.bsky.team", did=REAL_JAY)
    reply = texts(await bot.chat("gina").say(f"/connect bluesky {PLC_DID} {PASSWORD}"))
    assert "Connected" not in reply and "not answering" in reply
    assert await _connected_handle(bot, "gina") is None


# -- WebFinger -------------------------------------------------------------------------------


def _actor(attacker: Attacker, host: str, name: str) -> str:
    url = f"https://{host}:{attacker.https_port}/users/{name}"
    attacker.json(host, f"/users/{name}", {"type": "Person", "preferredUsername": name,
                                           "name": name.title(), "url": url})  # fmt: skip
    return url


def _jrd(attacker: Attacker, host: str, subject: str, actor: str) -> None:
    attacker.json(host, "/.well-known/webfinger", {
        "subject": f"acct:{subject}",
        "links": [{"rel": "self", "type": "application/activity+json", "href": actor}],
    })  # fmt: skip


async def _link(bot: Bot, user: str, acct: str) -> tuple[str, list[str]]:
    record = await bot.services.users.get_or_create("telegram", user)
    owner = Owner(account_id="4242", username="bob_x")
    await bot.services.archives.save(record.id, ParsedArchive(era="manifest", owner=owner))
    reply = texts(await bot.chat(user).say(f"/link mastodon {acct}"))
    links = await UserLinks(bot.services.db).of_user(record.id)
    return reply, [entry.target for entry in links]


async def test_webfinger_subject_on_another_domain(bot: Bot, attacker: Attacker) -> None:
    port = attacker.https_port
    asked, other = f"bob@a.example:{port}", f"alice@b.example:{port}"
    bob = _actor(attacker, "a.example", "bob")
    _jrd(attacker, "a.example", other, bob)

    # b.example has no WebFinger at all: refused, nothing stored
    reply, stored = await _link(bot, "u1", asked)
    assert "found no account" in reply and stored == []

    # b.example points to another actor: refused
    _jrd(attacker, "b.example", other, _actor(attacker, "b.example", "alice"))
    bot.services.mastodon.cache.clear()  # type: ignore[union-attr]
    reply, stored = await _link(bot, "u2", asked)
    assert "found no account" in reply and stored == []

    # b.example confirms the same actor (a split-domain setup): accepted, as alice@b
    _jrd(attacker, "b.example", other, bob)
    bot.services.mastodon.cache.clear()  # type: ignore[union-attr]
    reply, stored = await _link(bot, "u3", asked)
    assert other in reply and stored == [other]


async def test_webfinger_subject_as_asked_is_kept(bot: Bot, attacker: Attacker) -> None:
    port = attacker.https_port
    asked = f"carol@c.example:{port}"
    _jrd(attacker, "c.example", asked, _actor(attacker, "c.example", "carol"))
    reply, stored = await _link(bot, "u4", asked)
    assert asked in reply and stored == [asked]
    assert ("GET", "c.example", "/users/carol") in attacker.seen  # the actor, over https
