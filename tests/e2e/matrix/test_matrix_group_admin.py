"""Room administrators and the bot's own membership on a real Synapse.

The bot is a real `MatrixAdapter` (in this process) feeding a real `Dispatcher` whose
registry holds one admin-only command and an event recorder; people are real Matrix
clients. Power levels are changed by the room's creator through the client API.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from nio import PowerLevels

from chatbot.config import Settings
from chatbot.conversation import Command, CommandRegistry, Context, Dispatcher
from chatbot.i18n import translator
from chatbot.platforms.base import ChatEvent, ChatRef, IncomingMessage, Text, UserRef
from chatbot.platforms.matrix import MatrixAdapter
from chatbot.services import Services
from tests.e2e.matrix.conftest import people_on
from tests.e2e.matrix.driver import MatrixUser
from tests.servers.synapse import SynapseServer

pytestmark = pytest.mark.server

EN = translator("en")
People = Callable[[str], Awaitable[MatrixUser]]


@dataclass
class Bot:
    adapter: MatrixAdapter
    user_id: str
    events: list[IncomingMessage] = field(default_factory=list)


def _registry(events: list[IncomingMessage]) -> CommandRegistry:
    async def admintest(ctx: Context) -> None:
        await ctx.reply(Text("ok"))

    async def on_event(ctx: Context) -> None:
        events.append(ctx.message)

    registry = CommandRegistry()
    registry.add(Command("admintest", admintest, "help.cmd.help", group_admin_only=True))
    registry.event_handler = on_event
    return registry


@pytest.fixture
async def bot(synapse: SynapseServer, settings: Settings) -> AsyncIterator[Bot]:
    password = "admin-test-bot"
    user_id = synapse.register(f"adminbot{secrets.token_hex(3)}", password)
    configured = settings.model_copy(
        update={
            "matrix_homeserver": synapse.url,
            "matrix_user": user_id,
            "matrix_password": password,
        }
    )
    services = await Services.start(configured, processes=False)
    events: list[IncomingMessage] = []
    adapter = MatrixAdapter(configured, Dispatcher(services, _registry(events)))
    await adapter.start()
    try:
        yield Bot(adapter, user_id, events)
    finally:
        await adapter.stop()
        await services.close()


@pytest.fixture
async def people(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[People]:
    async with people_on(synapse, tmp_path / "people") as make:
        yield make


async def answer(person: MatrixUser, room: str, bot: Bot, text: str) -> str:
    mark = person.mark(room)
    await person.send_text(room, text)
    event = await person.wait_for(room, bot.user_id, lambda e: True, mark, f"an answer to {text}")
    return str(event.body)


async def test_room_admins_events_and_kick(bot: Bot, people: People) -> None:
    alice, bob, carol = await people("alice"), await people("bob"), await people("carol")
    room = await alice.create_room(
        [bot.user_id, bob.user_id, carol.user_id], direct=False, encrypted=False
    )
    for person in (bob, carol):
        await person.wait(lambda p=person: room in p.invites, "the invitation")  # type: ignore[misc]
        await person.join(room)
    await alice.wait_joined(room, bot.user_id)

    # joining after alice's invitation is an event, with alice as its author
    await alice.wait(lambda: len(bot.events) == 1, "the bot_added event")
    added = bot.events[0]
    assert (added.event, added.chat.chat_id, added.user.user_id) == (
        ChatEvent.BOT_ADDED,
        room,
        alice.user_id,
    )
    assert not added.chat.is_private

    # power level 100 (creator) and 50 are administrators, 0 is not
    await alice.set_power_level(room, bob.user_id, 50)
    await alice.set_power_level(room, carol.user_id, 0)
    assert await answer(alice, room, bot, "!admintest") == "ok"
    assert await answer(bob, room, bot, "!admintest") == "ok"
    assert await answer(carol, room, bot, "!admintest") == EN("group.admins_only")

    # without synced power levels the bot asks the homeserver
    synced = bot.adapter.client.rooms[room].power_levels
    bot.adapter.client.rooms[room].power_levels = PowerLevels()
    chat = ChatRef("matrix", room, is_private=False)
    assert await bot.adapter.platform.is_chat_admin(chat, UserRef("matrix", bob.user_id))
    assert not await bot.adapter.platform.is_chat_admin(chat, UserRef("matrix", carol.user_id))
    bot.adapter.client.rooms[room].power_levels = synced

    # demoted: no cache, the next command already sees it
    await alice.set_power_level(room, bob.user_id, 0)
    assert await answer(bob, room, bot, "!admintest") == EN("group.admins_only")

    # kicked by alice: one bot_removed event for that room, and no reply anywhere
    await alice.kick(room, bot.user_id)
    await alice.wait(lambda: len(bot.events) == 2, "the bot_removed event")
    removed = bot.events[1]
    assert (removed.event, removed.chat.chat_id, removed.user.user_id) == (
        ChatEvent.BOT_REMOVED,
        room,
        alice.user_id,
    )
    assert room not in bot.adapter.matrix.joined_at
