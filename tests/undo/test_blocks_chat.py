"""/blocks in the chat: a likely match is carried over only once the user confirms it."""

from __future__ import annotations

from typing import Any

import pytest

import handlers.blocks
from chatbot.archive.model import Owner, ParsedArchive, id_array
from chatbot.matching.engine import apply_decisions
from chatbot.matching.model import Match, Reason
from chatbot.migration.safety import SafetyMatch
from chatbot.services import Services
from chatbot.storage.directory import DecisionStore
from tests.accounts.conftest import Bot
from tests.conversation.harness import texts
from tests.undo.live import button

LIKELY = Match(77, "troll_x", "bluesky", "troll.test", "did:plc:troll", None, "likely",
               (Reason.of("bio_links_x", name="troll_x"),), "following")  # fmt: skip


async def test_a_likely_match_waits_for_the_users_word(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def found(services: Services, user_id: int, parsed: Any) -> list[SafetyMatch]:
        decisions = await DecisionStore(services.db).load(user_id)  # as the engine does
        return [SafetyMatch(m, True, False) for m in apply_decisions([LIKELY], decisions)]

    monkeypatch.setattr(handlers.blocks, "safety_matches", found)
    user = await bot.services.users.get_or_create("telegram", "alice")
    parsed = ParsedArchive(era="manifest", owner=Owner("1", "al"), blocked=id_array([77]))
    await bot.services.archives.save(user.id, parsed)
    chat = bot.chat()
    replies = await chat.say("/blocks bluesky")
    shown = texts(replies)
    assert "• Bluesky: 0 to block, 0 to mute" in shown
    assert "1 likely match needs your word" in shown
    assert "troll.test on Bluesky, likely the X account @troll_x" in shown
    assert not any(b.data.startswith("blk:go") for r in replies for row in r.buttons for b in row)
    assert "will be carried over" in texts(await chat.press(button(replies, "blk:c:77:b:")))
    replies = await chat.say("/blocks bluesky")
    assert "• Bluesky: 1 to block, 0 to mute" in texts(replies)
    assert button(replies, "blk:go:b") == "blk:go:b"  # now offered
    assert "Nothing was blocked or muted." in texts(await chat.press("blk:no"))


async def test_no_blocks_in_the_archive(bot: Bot) -> None:
    chat = bot.chat()
    assert "Send me your X archive first" in texts(await chat.say("/blocks"))
    user = await bot.services.users.get_or_create("telegram", "alice")
    await bot.services.archives.save(user.id, ParsedArchive(era="manifest", owner=Owner("1")))
    assert "lists no blocked or muted accounts" in texts(await chat.say("/blocks"))
    assert "/blocks shows" in texts(await chat.say("/blocks twitter"))
