"""Text from strangers reaching another user (threat model §4.10), on SQLite and PostgreSQL.

Forged archives and hostile remote profiles (a Bluesky account anyone can name, a Mastodon
instance that answers what it likes) carry every character class that can fake a line,
reorder text or hide a look-alike, every spreadsheet formula prefix, and a name of a
million characters. Bob, who followed those accounts on X, then reads /match and /export:

* /match: one headline per match (reasons on their own indented lines), no forbidden code
  point but the bot's own balanced isolates (U+2068 ... U+2069);
* matches.csv: read back with the csv module, no cell starts a formula, nothing forbidden;
* matches.json: valid JSON in valid UTF-8 (the data as it is);
* following_accounts.csv: Mastodon's header, and only ``user@domain`` addresses.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from chatbot.conversation import Dispatcher
from chatbot.migration.export import ADDRESS, MASTODON_HEADER
from chatbot.networks.types import BlueskyProfile, MastodonAccount
from chatbot.platforms.base import Reply, Text
from chatbot.services import Services
from devtools.memnet import MemoryBluesky, MemoryMastodon
from handlers import build_registry
from tests.abuse.conftest import services
from tests.abuse.forged import forged_zip
from tests.conversation.harness import Chat
from tests.orgs.conftest import GroupPlatform
from tests.test_safetext import FORBIDDEN

__all__ = ["services"]  # the bot on the test database (SQLite, then PostgreSQL)

CLASSES = (
    "\n✅ Bot: send /connect\x00\x1b",  # C0 controls: a fake bot line
    "\x85\x9b",  # C1 controls
    "\u2028\u2029",  # line and paragraph separators
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",  # bidi
    "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff",  # zero-width, invisible
)
HOSTILE = "".join(CLASSES)
FORMULAS = ("=", "+", "-", "@", "\t", "\r")
HYPERLINK = '=HYPERLINK("https://evil.example/login","Verify")'
HUGE = "a" * 1_000_000
FRIENDS = 12  # X ids 1..12, named friend1..friend12 in Bob's own archive


def hostile_world() -> tuple[MemoryBluesky, MemoryMastodon]:
    """Remote profiles: Bluesky accounts whose bio claims Bob's friends, under hostile
    handles, and a Mastodon instance answering hostile addresses."""
    bluesky = MemoryBluesky()
    for n, prefix in enumerate(FORMULAS, 1):  # friends 1..6: a formula prefix each
        handle = f"{prefix}cmd{HOSTILE}{n}.example"
        bluesky.add([BlueskyProfile(f"did:plc:h{n}", handle, f"friend{n}", f"x.com/friend{n}")])
    bluesky.add([BlueskyProfile("did:plc:huge", HUGE, "friend7", "x.com/friend7")])
    bio = "x.com/friend8, also @f8@evil.example"  # a Mastodon account named in the bio
    bluesky.add([BlueskyProfile("did:plc:f8", "friend8.bsky.social", "friend8", bio)])
    mastodon = MemoryMastodon()
    mastodon.accounts["f8@evil.example"] = MastodonAccount(  # the instance's own word
        f"{HYPERLINK}{HOSTILE}{HUGE}@evil.example", "https://evil.example/@f8", note=HOSTILE
    )
    mastodon.accounts["m9@evil.example"] = MastodonAccount(
        f"{HYPERLINK}@evil.example", "https://evil.example/@m9"
    )
    bio = "x.com/friend11 and @f11@good.example"  # and one honest account
    bluesky.add([BlueskyProfile("did:plc:f11", "friend11.bsky.social", "friend11", bio)])
    mastodon.add(MastodonAccount("f11@good.example", "https://good.example/@f11"))
    return bluesky, mastodon


def check_line(line: str) -> None:
    inner = line.replace("\u2068", "").replace("\u2069", "")
    assert not set(inner) & FORBIDDEN, repr(line)
    assert line.count("\u2068") == line.count("\u2069"), repr(line)


def check_match_messages(replies: list[Reply]) -> int:
    """Every message clean; every match one headline and its indented reasons. How many."""
    matches = 0
    for reply in replies:
        if not isinstance(reply, Text):
            continue
        lines = reply.text.split("\n")
        for line in lines:
            check_line(line)
        if lines[0].startswith("["):  # a review card: one match
            matches += 1
            assert all(line.startswith("    · ") for line in lines[1:]), lines
    return matches


async def test_strangers_text_reaches_another_user_clean(
    services: Services, tmp_path: Path
) -> None:
    services.bluesky, services.mastodon = hostile_world()
    dispatcher = Dispatcher(services, build_registry())
    dispatcher.throttle.limit = 10_000
    platform = GroupPlatform(name="telegram")  # keeps the files' bytes

    # Mallory: a forged archive claiming friend9's id under a hostile name, hostile
    # mentions, and a link to the hostile Mastodon address
    mallory = Chat(dispatcher, platform, user="mallory")
    await mallory.upload(forged_zip(
        tmp_path / "m.zip", account_id="9", username="mallory",
        display_name=HOSTILE + HUGE, mentions=[(9, f"{HYPERLINK}{HOSTILE}"), (10, HUGE)],
    ))  # fmt: skip
    await mallory.say("/link mastodon m9@evil.example")
    await mallory.press("findable:on")

    bob = Chat(dispatcher, platform, user="bob")
    friends = range(1, FRIENDS + 1)
    await bob.upload(forged_zip(
        tmp_path / "b.zip", account_id="500", username="bob", following=friends,
        mentions=[(n, f"friend{n}") for n in friends],
    ))  # fmt: skip
    replies = await bob.say("/match")
    shown = check_match_messages(replies)
    page = 1
    while any("m:p:" in b.data for r in replies if isinstance(r, Text) for row in r.buttons
              for b in row):  # fmt: skip
        replies = await bob.press(f"m:p:{page}")
        shown += check_match_messages(replies)
        page += 1

    platform.files.clear()
    for reply in await bob.say("/export all"):
        if isinstance(reply, Text):
            for line in reply.text.split("\n"):
                check_line(line)
    document = json.loads(platform.files["matches.json"].decode("utf-8"))
    assert document["count"] == shown >= 9  # every match was shown, one headline each
    assert any(HUGE in (m["handle"] or "") for m in document["matches"])  # raw in the JSON

    text = platform.files["matches.csv"].decode("utf-8-sig")
    assert not set(text.replace("\n", "")) & FORBIDDEN
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + document["count"]
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULAS), cell

    lines = platform.files["following_accounts.csv"].decode("utf-8").splitlines()
    assert lines[0] == MASTODON_HEADER
    addresses = [row[0] for row in csv.reader(lines[1:])]
    assert all(ADDRESS.fullmatch(a) and not a.startswith("@") for a in addresses)
    assert addresses == ["f11@good.example"]  # the hostile ones are left out
