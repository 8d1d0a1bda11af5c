"""`/match` through the real dispatcher: counts, a paged review, decisions never asked twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from chatbot.archive.model import ParsedArchive, id_array
from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.matching.model import DirectoryEntry
from chatbot.platforms.base import PlatformLimits, RecordingPlatform, Text
from chatbot.services import Services
from chatbot.storage.directory import DecisionStore, DirectoryStore
from handlers import build_registry
from tests.conversation.harness import Chat, texts

NAMES = [f"friend_{n}" for n in range(7)]


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    services = await Services.start(settings, processes=False)
    yield services
    await services.close()


@pytest.fixture
def dispatcher(services: Services) -> Dispatcher:
    return Dispatcher(services, build_registry())  # /match and its buttons are wired there


async def _prepare(services: Services, platform: str) -> int:
    user = await services.users.get_or_create(platform, "alice")
    parsed = ParsedArchive(era="manifest", following=id_array(range(100, 107)))
    parsed.handles = {100 + n: Counter({name: 1}) for n, name in enumerate(NAMES)}
    await services.archives.save(user.id, parsed)
    store = DirectoryStore(services.db)
    await store.save(
        DirectoryEntry(100, "friend_0", "mastodon", "f0@ex.social", acct="f0@ex.social")
    )
    for n, name in enumerate(NAMES):  # claimed, never proved: "possible" (offline: no guesses)
        await store.save(
            DirectoryEntry(100 + n, name, "bluesky", f"{name}.example.org", f"did:plc:{name}")
        )
    return user.id


async def test_counts_then_review_and_decisions(
    dispatcher: Dispatcher, services: Services
) -> None:
    platform = RecordingPlatform(name="telegram")
    user_id = await _prepare(services, "telegram")
    chat = Chat(dispatcher, platform)
    replies = await chat.say("/match")
    shown = texts(replies)
    assert "Bluesky: 7 possible" in shown and "Mastodon: 1 possible" in shown
    assert "To check (1–5 of 8)" in shown
    cards = [r for r in replies if isinstance(r, Text) and len(r.buttons) == 1 and r.buttons[0]]
    datas = [b.data for card in cards for b in card.buttons[0]]
    assert all(len(d.encode()) < 64 for d in datas)
    first = next(d for d in datas if d.startswith("m:r:"))
    assert "someone else" in texts(await chat.press(first))
    confirm = next(d for d in datas if d.startswith("m:c:") and d != first.replace(":r:", ":c:"))
    assert "same person" in texts(await chat.press(confirm))
    decided = await DecisionStore(services.db).load(user_id)
    assert sorted(decided.values()) == ["confirmed", "rejected"]
    shown = texts(await chat.say("/match"))
    assert "To check (1–5 of 6)" in shown  # never asked twice
    nxt = texts(await chat.press("m:p:1"))
    assert "To check (6–6 of 6)" in nxt


async def test_verified_matches_are_shown_paged_and_can_be_rejected(
    dispatcher: Dispatcher, services: Services
) -> None:
    """Item 10b: what /follow would follow unasked is shown, a page at a time, sanitised."""
    user = await services.users.get_or_create("telegram", "alice")
    parsed = ParsedArchive(era="manifest", following=id_array(range(200, 207)))
    parsed.handles = {200 + n: Counter({name: 1}) for n, name in enumerate(NAMES)}
    await services.archives.save(user.id, parsed)
    proof = {"new_account_proof": "bio_code", "x_proof": "oembed"}
    for n, name in enumerate(NAMES):  # proved links; the user's own archive names each one
        link = DirectoryEntry(200 + n, name, "bluesky", f"{name}.example.org", f"did:plc:{name}")
        await DirectoryStore(services.db).save(replace(link, **proof))  # type: ignore[arg-type]
    chat = Chat(dispatcher, RecordingPlatform(name="telegram"))
    replies = await chat.say("/match")
    [page] = [r for r in replies if isinstance(r, Text) and "Verified (1–5 of 7)" in r.text]
    assert page.text.count("✓ eligible for automatic follow") == 5
    assert "1. [verified] Bluesky: X @friend_0 → friend_0.example.org" in page.text
    assert "your own archive confirms the X account's name, @friend_0" in page.text
    datas = [b.data for row in page.buttons for b in row]
    assert datas[-1] == "m:v:1" and all(d.startswith("m:r:") for d in datas[:-1])
    assert "Nothing left to check" in texts(replies)  # the review has nothing else
    rest = texts(await chat.press("m:v:1"))
    assert "Verified (6–7 of 7)" in rest and "7. [verified]" in rest
    said = texts(await chat.press(datas[0]))
    assert "someone else" in said and "operators" in said  # reported for the admins
    assert "Verified (1–5 of 6)" in texts(await chat.say("/match"))


async def test_numbered_replies_without_buttons(
    dispatcher: Dispatcher, services: Services
) -> None:
    platform = RecordingPlatform(
        name="matrix",
        limits=PlatformLimits(max_download_bytes=None, max_upload_bytes=None, buttons=False),
    )
    await _prepare(services, "matrix")
    chat = Chat(dispatcher, platform)
    shown = texts(await chat.say("/match"))
    assert "1. ✅ Same person" in shown and "2. ❌ Someone else" in shown


async def test_without_an_archive(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher, RecordingPlatform(name="telegram"))
    assert "X archive first" in texts(await chat.say("/match"))
