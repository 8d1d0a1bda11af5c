"""`/match` through the real dispatcher: counts, a paged review, decisions never asked twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

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
    await DirectoryStore(services.db).save(
        DirectoryEntry(100, "friend_0", "mastodon", "f0@ex.social", acct="f0@ex.social")
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
