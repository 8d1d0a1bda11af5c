"""Threat-model §4.1 end to end: every route × every spelling, through the real dispatcher.

Victim listeners on 127.0.0.1 and ::1 log every accepted connection; the attacker's
server on 127.0.0.2 (the one "public" address, allow-listed) serves redirects, JRDs and
DID documents that point inside. For each case: no accept, the canary password reaches
no listener, and the user reads exactly what a public host that does not answer gives
(the control), in comparable time (S1, S3, S4, S5, S6).
"""

from __future__ import annotations

import time
from collections import Counter

from chatbot.archive.model import Owner, ParsedArchive, id_array
from tests.conftest import server_unavailable
from tests.conversation.harness import texts
from tests.egress.conftest import Bot
from tests.egress.kit import CANARY_PASSWORD, PUBLIC, Attacker, Victims, closed_port

# every spelling of an internal host that a URL can carry (loopback only: nothing here may
# ever send a packet to a real private or metadata address, even if the policy broke)
SPELLINGS = [
    "127.1", "127.0.1", "0x7f.1", "0x7f.0x0.0x0.0x1", "0177.0.0.1", "2130706433",
    "0x7f000001", "017700000001", "0", "0.0.0.0", "[::]", "[::1]", "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[64:ff9b::7f00:1]", "localhost", "LOCALHOST",
    "anything.localhost", "127.0.0.1.nip.io", "internal.attacker.example",
    "v6.attacker.example", "mixed.example", "mapped.attacker.example", "１２７.０.０.１",
]  # fmt: skip
# the forms a did:web host can take (no brackets, no IPv6)
DID_WEB_SPELLINGS = [
    "127.1", "0x7f.1", "2130706433", "0177.0.0.1", "0", "0.0.0.0", "localhost",
    "anything.localhost", "127.0.0.1.nip.io", "internal.attacker.example", "mixed.example",
]  # fmt: skip
PLC_DID = "did:plc:" + "a" * 24


class Users:
    """A new chat user per message: the per-user flood limit must not answer instead."""

    def __init__(self, bot: Bot, *, archive: bool = False) -> None:
        self.bot, self.archive, self.count = bot, archive, 0

    async def say(self, text: str) -> tuple[str, float]:
        self.count += 1
        user = f"user{self.count}"
        if self.archive:
            await _with_archive(self.bot, user)
        chat = self.bot.chat(user)
        started = time.monotonic()
        replies = await chat.say(text)
        return texts(replies), time.monotonic() - started


def _same(reply: str, control: str, shown: str, control_shown: str) -> None:
    """The replies are identical once the address the user typed is set aside."""
    assert reply.replace(shown, "<x>") == control.replace(control_shown, "<x>")


async def test_connect_mastodon_never_reaches_an_internal_host(bot: Bot, victims: Victims) -> None:
    users = Users(bot)
    control_host = f"{PUBLIC}:{closed_port()}"
    control, control_s = await users.say(f"/connect mastodon {control_host}")
    assert "not answering" in control
    for spelling in [*SPELLINGS, "http://127.1", "https://0x7f.1"]:
        target = f"{spelling}:{victims.port}"
        reply, took = await users.say(f"/connect mastodon {target}")
        _same(reply, control, "<none>", "<none>")
        assert took < control_s + 2.0, (spelling, took, control_s)
    victims.assert_untouched()


async def _with_archive(bot: Bot, user: str = "alice") -> None:
    record = await bot.services.users.get_or_create("telegram", user)
    parsed = ParsedArchive(era="manifest", owner=Owner(account_id="4242", username="alice_x"))
    await bot.services.archives.save(record.id, parsed)


async def test_link_mastodon_never_reaches_an_internal_host(bot: Bot, victims: Victims) -> None:
    users = Users(bot, archive=True)
    control_acct = f"bob@{PUBLIC}:{closed_port()}"
    control, control_s = await users.say(f"/link mastodon {control_acct}")
    assert "found no account" in control
    for spelling in SPELLINGS:
        acct = f"bob@{spelling}:{victims.port}"
        reply, took = await users.say(f"/link mastodon {acct}")
        _same(reply, control, acct.lower(), control_acct)
        assert took < control_s + 2.0, (spelling, took, control_s)
    victims.assert_untouched()


async def test_connect_bluesky_did_web_never_reaches_an_internal_host(
    bot: Bot, victims: Victims
) -> None:
    users = Users(bot)
    control_did = f"did:web:{PUBLIC}%3a{closed_port()}"
    control, _ = await users.say(f"/connect bluesky {control_did} {CANARY_PASSWORD}")
    assert "could not find this account" in control
    for spelling in DID_WEB_SPELLINGS:
        did = f"did:web:{spelling}%3a{victims.port}"
        reply, _ = await users.say(f"/connect bluesky {did} {CANARY_PASSWORD}")
        _same(reply, control, did.lower(), control_did)
    victims.assert_untouched()


async def test_a_did_document_naming_an_internal_pds_never_gets_the_password(
    bot: Bot, victims: Victims, attacker: Attacker
) -> None:
    """S4: the app password goes only to the PDS the DID document names, after the check."""
    users = Users(bot)
    port = victims.port

    def document(pds: str) -> dict[str, object]:
        return {
            "id": PLC_DID,
            "alsoKnownAs": ["at://jay.bsky.team"],
            "service": [
                {"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                 "serviceEndpoint": pds},
            ],
        }  # fmt: skip

    attacker.json("*", f"/plc/{PLC_DID}", document(f"http://{PUBLIC}:{closed_port()}"))
    control, _ = await users.say(f"/connect bluesky {PLC_DID} {CANARY_PASSWORD}")
    assert "not answering" in control
    for pds in [
        f"http://127.0.0.1:{port}", f"https://127.1:{port}", f"http://[::1]:{port}",
        f"https://0x7f.1:{port}", f"https://internal.attacker.example:{port}",
        f"https://v6.attacker.example:{port}", f"http://localhost:{port}",
        f"https://public.example@127.1:{port}", f"https://{PUBLIC}:{port}\\@evil.example",
        f"https://%31%32%37.0.0.1:{port}", f"https://mixed.example:{port}",
    ]:  # fmt: skip
        attacker.json("*", f"/plc/{PLC_DID}", document(pds))
        reply, _ = await users.say(f"/connect bluesky {PLC_DID} {CANARY_PASSWORD}")
        assert reply == control, pds
    victims.assert_untouched()
    assert CANARY_PASSWORD.encode() not in bytes(attacker.bodies)


async def test_handle_resolution_never_reaches_an_internal_host(
    bot: Bot, victims: Victims
) -> None:
    """DNS TXT first, then https://HANDLE/.well-known/atproto-did (port 443)."""
    if not victims.has(443):
        server_unavailable("port 443 on loopback is taken: the well-known route is unobservable")
    users = Users(bot)
    control, _ = await users.say(f"/connect bluesky ghost.example {CANARY_PASSWORD}")
    for handle in ("internal.attacker.example", "v6.attacker.example", "127.0.0.1.nip.io"):
        reply, _ = await users.say(f"/connect bluesky {handle} {CANARY_PASSWORD}")
        _same(reply, control, handle, "ghost.example")
    victims.assert_untouched()


async def test_webfinger_links_and_redirects_never_lead_inside(
    bot: Bot, victims: Victims, attacker: Attacker
) -> None:
    """A JRD whose actor href is internal, and WebFinger / instance answers that redirect
    inside or down to plain http: no hop reaches a listener (S3, S5)."""
    users = Users(bot, archive=True)
    port, https = victims.port, attacker.https_port
    jrd = {
        "subject": f"acct:bob@a.example:{https}",
        "links": [{"rel": "self", "type": "application/activity+json",
                   "href": f"http://127.0.0.1:{port}/latest/meta-data/iam/"}],
    }  # fmt: skip
    attacker.json("a.example", "/.well-known/webfinger", jrd)
    await users.say(f"/link mastodon bob@a.example:{https}")
    for target in (f"http://127.0.0.1:{port}/x", f"https://0x7f.1:{port}/x",
                   f"http://{PUBLIC}:{attacker.http_port}/downgraded"):  # fmt: skip
        attacker.redirect("b.example", "/.well-known/webfinger", target)
        attacker.redirect("b.example", "/api/v1/instance", target)
        reply, _ = await users.say(f"/link mastodon bob@b.example:{https}")
        assert "found no account" in reply
        reply, _ = await users.say(f"/connect mastodon b.example:{https}")
        assert "not answering" in reply
    assert "/downgraded" not in attacker.paths()  # https -> http is never followed
    victims.assert_untouched()


async def test_a_bio_read_during_someone_elses_matching_leads_nowhere(
    bot: Bot, victims: Victims, attacker: Attacker
) -> None:
    """A bystander's Bluesky bio names Mastodon accounts on internal hosts; another user's
    /match reads it and looks them up (WebFinger on port 443): nothing is reached."""
    if not victims.has(443):
        server_unavailable("port 443 on loopback is taken: the bio route is unobservable")
    profile = {
        "did": "did:plc:" + "b" * 24,
        "handle": "target-x.bsky.social",
        "displayName": "Target",
        "description": "Now at @me@0x7f.0x0.0x0.0x1 and @me@internal.attacker.example, "
        "also @me@127.0.0.1.nip.io and @me@anything.localhost",
    }
    attacker.json("*", "/appview/xrpc/app.bsky.actor.getProfiles", {"profiles": [profile]})
    attacker.json("*", "/appview/xrpc/app.bsky.actor.searchActors", {"actors": [profile]})
    record = await bot.services.users.get_or_create("telegram", "carol")
    parsed = ParsedArchive(
        era="manifest",
        owner=Owner(account_id="77", username="carol_x"),
        following=id_array([1001]),
        handles={1001: Counter({"target_x": 3})},
    )
    await bot.services.archives.save(record.id, parsed)
    reply = texts(await bot.chat("carol").say("/match"))
    assert "Bluesky" in reply
    assert "/appview/xrpc/app.bsky.actor.searchActors" in attacker.paths()
    victims.assert_untouched()
