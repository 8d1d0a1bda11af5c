"""Threads end to end, as a user sees it (issue 15 item 2): an archive upload finds X
contacts on Threads (WebFinger and actors on the Threads stand-in, over real HTTP), /match
lists them as their own network, /follow threads follows them from the user's Mastodon
account (the server resolves each through its search, over WebFinger to the Threads
stand-in), and /export puts them in Mastodon's import file and in matches.csv."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image as PILImage

from chatbot.networks.http import HttpPolicy
from chatbot.networks.threads import ThreadsLookup
from chatbot.networks.types import BlueskyProfile
from chatbot.platforms.base import Image, Reply, Text
from devtools.memnet import MemoryBluesky, MemoryMastodon
from handlers.follow import runner
from tests.accounts.conftest import Bot
from tests.accounts.test_fediverse_servers import _connect
from tests.conversation.harness import images, start_follow, texts
from tests.export.test_conversation import FilePlatform
from tests.servers.egress import local_egress
from tests.servers.fediverse_standin import FediAccount, FediverseStandin
from tests.servers.threads_standin import ThreadsProfile, ThreadsStandin

BOT = pytest.mark.parametrize("bot", ["mastodon_settings"], indirect=True)
OWNER = 4000
CONTACTS = {4001: "friend", 4002: "linked", 4003: "namesake", 4004: "hermit", 4005: "ada"}
FOLLOWING = [4001, 4002, 4003, 4004]
FOLLOWERS = [4005, 4001]


def _js(name: str, items: list[object]) -> str:
    return f"window.YTD.{name}.part0 = " + json.dumps(items)


def _tweet(number: int, x_id: int, name: str) -> dict[str, object]:
    mention = {"screen_name": name, "name": name.title(), "id_str": str(x_id),
               "id": str(x_id), "indices": ["6", str(7 + len(name))]}  # fmt: skip
    return {"tweet": {"id": str(number), "id_str": str(number),
                      "created_at": "Mon Jan 06 10:00:00 +0000 2020",
                      "full_text": f"hello @{name}", "lang": "en",
                      "entities": {"hashtags": [], "symbols": [], "urls": [],
                                   "user_mentions": [mention]}}}  # fmt: skip


def archive_zip(path: Path) -> Path:
    """account, following, follower, and tweets that mention every contact twice."""
    account = {"account": {"username": "me", "accountId": str(OWNER),
                           "createdAt": "2012-03-04T05:06:07.000Z",
                           "accountDisplayName": "Me"}}  # fmt: skip
    mentioned = sorted(CONTACTS.items()) * 2
    files = {
        "data/account.js": _js("account", [account]),
        "data/following.js": _js("following", [
            {"following": {"accountId": str(i)}} for i in FOLLOWING]),
        "data/follower.js": _js("follower", [
            {"follower": {"accountId": str(i)}} for i in FOLLOWERS]),
        "data/tweets.js": _js("tweets", [
            _tweet(n, x_id, name) for n, (x_id, name) in enumerate(mentioned, 1)]),
    }  # fmt: skip
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def described(reply: Reply) -> list[str]:
    """The numbers a chart draws, from its PNG (which must decode)."""
    assert isinstance(reply, Image) and reply.name == "network.png"
    picture = PILImage.open(io.BytesIO(reply.data))
    picture.load()
    assert picture.format == "PNG" and picture.size == (800, 382)
    return str(picture.text["Description"]).splitlines()


@pytest.fixture
async def threads() -> AsyncIterator[ThreadsStandin]:
    server = ThreadsStandin()
    server.signed_fetch = False  # the bios are read: the links back raise the tier
    server.add(ThreadsProfile("friend", "Friend", "also friend.bsky.social"))
    server.add(ThreadsProfile("linked", "Linked", "formerly x.com/linked"))
    server.add(ThreadsProfile("namesake", "Not the same", "photos"))
    server.add(ThreadsProfile("hermit", "Hermit", "x.com/hermit", fediverse_sharing=False))
    async with server.running():
        yield server


@pytest.fixture
async def mastodon(threads: ThreadsStandin) -> AsyncIterator[FediverseStandin]:
    server = FediverseStandin()
    server.add(FediAccount("me", "Me"))
    server.federated["threads.net"] = threads.base
    async with server.running():
        yield server


async def _bot_with_readers(bot: Bot, threads: ThreadsStandin) -> ThreadsLookup:
    reader = ThreadsLookup(threads.base, egress=local_egress())
    bot.services.threads = reader
    bot.services.bluesky = MemoryBluesky([
        BlueskyProfile("did:plc:friend", "friend.bsky.social", "Friend",
                       "x.com/friend · www.threads.com/@friend"),
    ])  # fmt: skip
    bot.services.mastodon = MemoryMastodon()
    bot.platform = FilePlatform(name="telegram")
    return reader


@BOT
async def test_threads_found_followed_from_mastodon_and_exported(
    bot: Bot, threads: ThreadsStandin, mastodon: FediverseStandin, tmp_path: Path
) -> None:
    reader = await _bot_with_readers(bot, threads)
    chat = bot.chat("tess")
    replies = await chat.upload(archive_zip(tmp_path / "twitter-2024-01-01-x.zip"))
    said = texts(replies)
    followed, followers = said.split("People who followed you on X")
    assert "Threads: 2 likely, 1 possible" in followed
    assert "Threads: 1 likely" in followers  # the friend follows back
    assert not any("hermit" in hit for hit in threads.hits if hit.startswith("/ap/"))
    # then the chart of where the network went (issue 15 item 7), drawn from those counts
    assert "People who followed you on X" in texts(replies[-2:-1])  # the counts, just before
    assert described(replies[-1]) == [
        "Where your X network went",
        "Accounts you followed on X: 3 found of 4",
        "  Bluesky: 1 (verified 0, likely 1, possible 0)",
        "  Mastodon: 0 (verified 0, likely 0, possible 0)",
        "  Threads: 3 (verified 0, likely 2, possible 1)",
        "Your followers on X: 1 found of 2",
        "  Bluesky: 1 (verified 0, likely 1, possible 0)",
        "  Mastodon: 0 (verified 0, likely 0, possible 0)",
        "  Threads: 1 (verified 0, likely 1, possible 0)",
    ]
    assert "Send /match to review them" in str(replies[-1].caption)

    matched = await chat.say("/match")
    shown = texts(matched)
    [chart] = images(matched)  # with /match too, after the counts
    assert matched.index(chart) == 1 and described(chart) == described(replies[-1])
    assert "[likely] Threads: X @friend → friend@threads.net (you followed each other)" in shown
    assert "named in the bio of the Bluesky account friend.bsky.social" in shown
    assert "its Threads bio links back to the X, Bluesky or Mastodon account" in shown
    assert "[possible] Threads: X @namesake → namesake@threads.net" in shown
    assert "only the name is the same: it may be someone else" in shown
    assert "hermit@threads.net" not in shown  # not shared on the fediverse: not found

    assert "Connected to Mastodon as me@" in await _connect(chat, mastodon)
    preview = texts(await start_follow(chat, "/follow threads likely"))
    assert "I will follow 2 accounts on Threads (from your Mastodon account):" in preview
    assert "2 Threads accounts from your Mastodon account" in preview
    await runner(bot.services).idle()
    assert mastodon.oauth.follows["me"] == {"friend@threads.net", "linked@threads.net"}
    assert mastodon.hits.count("/api/v2/search") == 2  # each resolved by the server
    assert "2 followed" in texts(await chat.say("/status"))

    await chat.say("/export all")
    files = bot.platform.files  # type: ignore[attr-defined]
    rows = files["following_accounts.csv"].decode().splitlines()[1:]
    assert {row.split(",")[0] for row in rows} == {
        "friend@threads.net",
        "linked@threads.net",
        "namesake@threads.net",
    }
    table = list(csv.DictReader(io.StringIO(files["matches.csv"].decode("utf-8-sig"))))
    assert {(r["network"], r["acct"]) for r in table if r["network"] == "threads"} == {
        ("threads", "friend@threads.net"), ("threads", "linked@threads.net"),
        ("threads", "namesake@threads.net"),
    }  # fmt: skip
    await reader.aclose()


@BOT
async def test_threads_in_french(bot: Bot, threads: ThreadsStandin, tmp_path: Path) -> None:
    reader = await _bot_with_readers(bot, threads)
    chat = bot.chat("theo", language_hint="fr")
    replies = await chat.upload(archive_zip(tmp_path / "twitter-2024-01-01-x.zip"))
    assert "Threads : 2 probables, 1 possible" in texts(replies)
    lines = described(images(replies)[-1])
    assert lines[:2] == ["Où est parti votre réseau X",
                         "Comptes que vous suiviez sur X : 3 retrouvés sur 4"]  # fmt: skip
    assert "  Threads : 3 (vérifié 0, probable 2, possible 1)" in lines
    shown = texts(await chat.say("/match"))
    assert "sa bio Threads renvoie au compte X @linked" in shown
    usage = texts(await chat.say("/follow"))
    assert "/follow threads" in usage
    await reader.aclose()


@BOT
async def test_a_confirmed_threads_match_is_followed_from_mastodon_only(
    bot: Bot, threads: ThreadsStandin, tmp_path: Path
) -> None:
    """The review buttons work for Threads matches (``m:c:<x_id>:t:<tag>``); /follow threads
    needs the Mastodon account, and says so."""
    reader = await _bot_with_readers(bot, threads)
    chat = bot.chat("ugo")
    await chat.upload(archive_zip(tmp_path / "twitter-2024-01-01-x.zip"))
    review = await chat.say("/match")
    buttons = {
        text.text.splitlines()[0]: [b.data for row in text.buttons for b in row]
        for text in review
        if isinstance(text, Text) and text.buttons
    }
    head = "[possible] Threads: X @namesake → namesake@threads.net (you followed them)"
    confirm = buttons[head][0]
    assert confirm.startswith("m:c:4003:t:")
    assert "namesake@threads.net" in texts(await chat.press(confirm))
    said = texts(await chat.say("/follow threads"))
    assert "Connect your Mastodon account first with /connect mastodon" in said
    await reader.aclose()


@BOT
async def test_threads_down_is_said_and_the_rest_is_shown(bot: Bot, tmp_path: Path) -> None:
    """Nothing answers on the Threads host: Bluesky's match is counted and charted, and
    the user is told Threads was not searched this time."""
    policy = HttpPolicy(attempts=1, backoff_initial=0.05)
    bot.services.threads = ThreadsLookup("http://127.0.0.1:9", egress=local_egress(),
                                         policy=policy)  # fmt: skip
    bot.services.bluesky = MemoryBluesky([
        BlueskyProfile("did:plc:friend", "friend.bsky.social", "Friend", "x.com/friend"),
    ])  # fmt: skip
    chat = bot.chat("vic")
    replies = await chat.upload(archive_zip(tmp_path / "twitter-2024-01-01-x.zip"))
    said = texts(replies)
    assert "Bluesky: 1 likely" in said and "Threads:" not in said
    assert "Threads did not answer, so I could not look for your contacts there" in said
    assert described(images(replies)[-1])[2] == "  Bluesky: 1 (verified 0, likely 1, possible 0)"
    await bot.services.threads.aclose()  # type: ignore[attr-defined]
