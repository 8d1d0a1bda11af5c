"""Room membership on a real Synapse: who is in a group room, and leaving ends the roster.

`MatrixPlatform.is_chat_member` asks the homeserver (a joined member, someone invited,
someone who left, someone kicked, a stranger); with the real bot, a member who leaves the
organisation's room stops being a member, and the roster question then answers so.
Threat model §4.12.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from chatbot.i18n import translator
from chatbot.orgs import OrgStore
from chatbot.platforms.base import ChatRef, UserRef
from chatbot.platforms.matrix_platform import MatrixPlatform
from chatbot.storage.db import Database
from tests.e2e.matrix.conftest import BotProcess
from tests.e2e.matrix.driver import MatrixUser

pytestmark = [pytest.mark.server, pytest.mark.slow]

EN = translator("en")
NAME = "Membership Test Club"
People = Callable[[str], Awaitable[MatrixUser]]


async def members(bot: BotProcess, room: str) -> int:
    """The organisation's members, read from the bot's own database."""
    db = Database(f"sqlite+aiosqlite:///{bot.data_dir / 'chatbot.sqlite3'}")
    try:
        org = await OrgStore(db).by_chat("matrix", room)
        return 0 if org is None else len(await OrgStore(db).members(org.id))
    finally:
        await db.close()


async def _accepts(person: MatrixUser, room: str) -> None:
    await person.wait(lambda: room in person.invites, "the invitation")
    await person.join(room)


async def test_membership_is_asked_of_the_homeserver(people: People) -> None:
    alice, bob, carol, dave, erin = [await people(n) for n in ("al", "bo", "ca", "da", "er")]
    room = await alice.create_room(
        [bob.user_id, carol.user_id, dave.user_id], direct=False, encrypted=False
    )
    for person in (bob, dave):
        await _accepts(person, room)
    await dave.client.room_leave(room)
    await alice.wait_joined(room, bob.user_id)
    platform = MatrixPlatform(alice.client, encryption=False, max_file_bytes=1)
    group = ChatRef("matrix", room, is_private=False)

    async def member(person: MatrixUser) -> bool:
        return await platform.is_chat_member(group, UserRef("matrix", person.user_id))

    assert await member(alice) and await member(bob)
    assert not await member(carol)  # invited, not joined
    assert not await member(dave)  # left
    assert not await member(erin)  # never there
    await alice.kick(room, bob.user_id)
    assert not await member(bob)  # removed: at once, whatever the sync says
    assert not await platform.is_chat_member(
        ChatRef("matrix", "!nosuchroom:localhost", is_private=False),
        UserRef("matrix", alice.user_id),
    )


async def joined_privately(person: MatrixUser, group: str, bot: BotProcess) -> str:
    """`!join` in the room; the direct room the bot opens, once it asked the question."""
    mark = person.mark(group)
    await person.send_text(group, "!join")
    await person.wait_text(group, bot.user_id, EN("org.join.wrote_privately"), mark)
    await person.wait(lambda: any(r != group for r in person.invites), "the bot's invitation")
    direct = next(r for r in person.invites if r != group)
    await person.join(direct)
    await person.wait_text(direct, bot.user_id, EN("org.roster.question", name=NAME), 0)
    return direct


async def test_leaving_the_room_ends_the_membership_and_the_roster_question(
    people: People, bot: BotProcess
) -> None:
    alice, bob, carol = [await people(n) for n in ("alice", "bob", "carol")]
    group = await alice.create_room(
        [bot.user_id, bob.user_id, carol.user_id], direct=False, encrypted=False
    )
    for person in (bob, carol):
        await _accepts(person, group)
    await alice.wait_joined(group, bot.user_id)
    mark = alice.mark(group)
    await alice.send_text(group, f"!group setup {NAME}")
    await alice.wait_text(group, bot.user_id, EN("org.setup.created", name=NAME), mark)

    # bob joins and is listed, then leaves the room: the bot sees it, bob is out
    direct = await joined_privately(bob, group, bot)
    mark = bob.mark(direct)
    await bob.send_text(direct, "1")  # "yes, list me"
    listed = EN("org.roster.listed_later", name=NAME, connect="/connect", link="/link")
    await bob.wait_text(direct, bot.user_id, listed, mark)
    assert await members(bot, group) == 1
    await bob.client.room_leave(group)
    for _ in range(100):
        if not await members(bot, group):
            break
        await asyncio.sleep(0.1)
    assert await members(bot, group) == 0

    # carol leaves before she answers the roster question: the answer is refused
    direct = await joined_privately(carol, group, bot)
    await carol.client.room_leave(group)
    mark = carol.mark(direct)
    await carol.send_text(direct, "1")
    await carol.wait_text(direct, bot.user_id, EN("org.roster.not_member"), mark)
    assert await members(bot, group) == 0
