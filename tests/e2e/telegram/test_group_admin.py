"""Group administrators and the bot's own membership, through the real adapter and dispatcher.

The emulator plays Telegram over HTTP (getChatMember, my_chat_member updates, 403 once the
bot was kicked); the bot is a real `TelegramAdapter` feeding a real `Dispatcher` whose
registry holds one admin-only command, a /start that echoes its payload, and an event
recorder.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from telegram import ChatMemberAdministrator, ChatMemberLeft, ChatMemberMember, ChatMemberOwner
from telegram.error import Forbidden

from chatbot.config import Settings
from chatbot.conversation import Command, CommandRegistry, Context, Dispatcher
from chatbot.i18n import translator
from chatbot.platforms.base import ChatEvent, ChatRef, IncomingMessage, Text, UserRef
from chatbot.platforms.telegram import TelegramAdapter
from chatbot.services import Services
from tests.e2e.telegram.emulator_fixtures import BOT, TOKEN, Running, emulator, eventually

EN = translator("en")
CREATOR, ADMIN, MEMBER, STRANGER = 31, 32, 33, 34


@dataclass
class Bot:
    emu: Running
    adapter: TelegramAdapter
    events: list[IncomingMessage] = field(default_factory=list)

    def bot_texts(self, chat_id: int) -> list[str]:
        chat = self.emu.world.chats.get(chat_id)
        if chat is None:
            return []
        bot_id = self.emu.world.bot_id
        return [m.get("text", "") for m in chat.messages.values() if m["from"]["id"] == bot_id]

    async def answer(self, user_id: int, text: str, chat: dict[str, Any] | None = None) -> str:
        """What the bot answers to `text` (the first bot message after it)."""
        chat_id = chat["id"] if chat else user_id
        before = len(self.bot_texts(chat_id))
        sent = await self.emu.say(user_id, text, chat, language_code="en")
        assert sent["delivered"], sent
        await eventually(lambda: len(self.bot_texts(chat_id)) > before)
        return self.bot_texts(chat_id)[before]


def _registry(events: list[IncomingMessage]) -> CommandRegistry:
    async def admintest(ctx: Context) -> None:
        await ctx.reply(Text("ok"))

    async def start(ctx: Context) -> None:
        await ctx.reply(Text("start:" + "|".join(ctx.message.args)))

    async def on_event(ctx: Context) -> None:
        events.append(ctx.message)

    registry = CommandRegistry()
    registry.add(Command("admintest", admintest, "help.cmd.help", group_admin_only=True))
    registry.add(Command("start", start, "help.cmd.start"))
    registry.event_handler = on_event
    return registry


@pytest.fixture
async def bot(settings: Settings, tmp_path: Path) -> AsyncIterator[Bot]:
    async with emulator(tmp_path / "emulator") as emu:
        configured = settings.model_copy(
            update={"telegram_token": TOKEN, "telegram_api_url": emu.root}
        )
        services = await Services.start(configured, processes=False)
        events: list[IncomingMessage] = []
        adapter = TelegramAdapter(configured, Dispatcher(services, _registry(events)))
        await adapter.start()
        try:
            yield Bot(emu, adapter, events)
        finally:
            await adapter.stop()
            await services.close()


async def test_only_group_admins_run_admin_commands(bot: Bot) -> None:
    group = {"id": -700, "title": "Org", "privacy": True}
    await bot.emu.group(group, CREATOR, administrators=(ADMIN,), members=(MEMBER,))
    assert await bot.answer(CREATOR, "/admintest", group) == "ok"
    assert await bot.answer(ADMIN, "/admintest", group) == "ok"
    assert await bot.answer(MEMBER, "/admintest", group) == EN("group.admins_only")
    # someone who just writes in the group is a plain member
    assert await bot.answer(STRANGER, "/admintest", group) == EN("group.admins_only")
    # in a private chat nobody administers anything
    assert await bot.answer(ADMIN, "/admintest") == EN("group.admins_only")
    # promoted: the answer is cached for a minute, so a new (chat, user) pair is checked
    await bot.emu.member(-700, MEMBER, "administrator")
    assert await bot.answer(MEMBER, "/admintest", group) == EN("group.admins_only")
    bot.adapter._admins._known.clear()  # the minute has passed
    assert await bot.answer(MEMBER, "/admintest", group) == "ok"


async def test_removing_the_bot_is_an_event_and_ends_sending(bot: Bot) -> None:
    group = {"id": -701, "title": "Org", "privacy": True}
    await bot.emu.group(group, CREATOR, administrators=(ADMIN,))
    assert await bot.answer(ADMIN, "/admintest", group) == "ok"
    await bot.emu.bot_status(-701, "kicked", by=ADMIN)
    await eventually(lambda: len(bot.events) == 1)
    removed = bot.events[0]
    assert removed.event == ChatEvent.BOT_REMOVED
    assert (removed.chat.chat_id, removed.chat.is_private) == ("-701", False)
    assert removed.user.user_id == str(ADMIN)
    assert bot.bot_texts(-701) == ["ok"]  # events are never answered
    chat = ChatRef("telegram", "-701", False)
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.adapter.send(chat, Text("still there?"))
    sent = await bot.emu.say(ADMIN, "/admintest", group, language_code="en")
    assert not sent["delivered"]  # the bot is not in the group any more

    await bot.emu.bot_status(-701, "member", by=CREATOR)
    await eventually(lambda: len(bot.events) == 2)
    added = bot.events[1]
    assert (added.event, added.chat.chat_id, added.user.user_id) == (
        ChatEvent.BOT_ADDED,
        "-701",
        str(CREATOR),
    )
    assert await bot.answer(ADMIN, "/admintest", group) == "ok"


async def test_promoting_the_bot_is_no_event(bot: Bot) -> None:
    group = {"id": -702, "title": "Org"}
    await bot.emu.group(group, CREATOR)
    await bot.emu.bot_status(-702, "administrator", by=CREATOR)
    await bot.emu.bot_status(-702, "left", by=CREATOR)
    await eventually(lambda: len(bot.events) == 1)
    assert bot.events[0].event == ChatEvent.BOT_REMOVED


async def test_deep_link_payload_reaches_start(bot: Bot) -> None:
    payload = "join_" + "Ab-9_" * 11 + "xy"  # 62 characters, the organisation invite shape
    link = bot.adapter.private_chat_link(UserRef("telegram", str(STRANGER)), payload)
    assert link == f"https://t.me/{BOT}?start={payload}"
    assert await bot.answer(STRANGER, f"/start {payload}") == f"start:{payload}"


async def test_chat_member_objects_parse_as_the_bot_api_defines_them(bot: Bot) -> None:
    await bot.emu.group({"id": -703, "title": "Org"}, CREATOR, (ADMIN,), (MEMBER,))
    await bot.emu.say(STRANGER, "hello")  # known to Telegram, never in the group
    api = bot.adapter._app.bot
    assert isinstance(await api.get_chat_member(-703, CREATOR), ChatMemberOwner)
    admin = await api.get_chat_member(-703, ADMIN)
    assert isinstance(admin, ChatMemberAdministrator) and admin.user.id == ADMIN
    assert isinstance(await api.get_chat_member(-703, MEMBER), ChatMemberMember)
    assert isinstance(await api.get_chat_member(-703, STRANGER), ChatMemberLeft)
    admins = await api.get_chat_administrators(-703)
    assert sorted(m.user.id for m in admins) == [CREATOR, ADMIN]
