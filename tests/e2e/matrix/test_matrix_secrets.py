"""Secrets posted in a group room of a real Synapse: redacted when the bot may, and the
sender told in a direct room the bot opens (threat model §4.11).

With the room's default power levels the bot (level 0) cannot redact other people's events
(``redact``: 50): the sender is told to delete the message and revoke the password. Once
the room's creator raises the bot to 50, the next such message is redacted and the sender
told to revoke it; so is an edit that adds one. The room reads nothing about it,
encrypted or not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from nio import RedactedEvent, RoomGetEventResponse

from chatbot.conversation.secret_guard import REVOKE_URL
from chatbot.i18n import translator
from tests.e2e.matrix.conftest import BotProcess
from tests.e2e.matrix.driver import MatrixUser

pytestmark = [pytest.mark.server, pytest.mark.slow]

EN = translator("en")
PASSWORD = "k2x7-ab3d-q5rt-zz4m"
People = Callable[[str], Awaitable[MatrixUser]]


def warning(key: str) -> str:
    return EN(key, link=REVOKE_URL, connect="/connect bluesky")


async def redacted(person: MatrixUser, room: str, event_id: str) -> bool:
    response = await person.client.room_get_event(room, event_id)
    assert isinstance(response, RoomGetEventResponse), response
    return isinstance(response.event, RedactedEvent)


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_a_password_in_a_room_is_redacted_when_the_bot_may(
    people: People, bot: BotProcess, encrypted: bool
) -> None:
    alice, bob = await people("alice"), await people("bob")
    group = await alice.create_room([bot.user_id, bob.user_id], direct=False, encrypted=encrypted)
    await bob.wait(lambda: group in bob.invites, "the invitation")
    await bob.join(group)
    await alice.wait_joined(group, bot.user_id)
    start = alice.mark(group)

    # the bot has no right to redact: bob is told, in a direct room, to delete and revoke
    first = await bob.send_text(group, f"oops, my app password is {PASSWORD}")
    await bob.wait(lambda: any(r != group for r in bob.invites), "the bot's direct room")
    direct = next(r for r in bob.invites if r != group)
    await bob.join(direct)
    await bob.wait_text(direct, bot.user_id, warning("secrets.group.not_deleted"), 0)
    assert not await redacted(alice, group, first)

    # the room's creator lets the bot redact: the next one is redacted
    await alice.set_power_level(group, bot.user_id, 50)
    mark = bob.mark(direct)
    second = await bob.send_text(group, f"!connect bluesky bob.test {PASSWORD}")
    await bob.wait_text(direct, bot.user_id, warning("secrets.group.deleted"), mark)
    assert await redacted(alice, group, second)

    # an edit that adds a password: the edit is redacted too (clients show the original)
    mark = bob.mark(direct)
    hello = await bob.send_text(group, "hello all")
    edit = await bob._send(group, {
        "msgtype": "m.text", "body": f"* hello all {PASSWORD}",
        "m.new_content": {"msgtype": "m.text", "body": f"hello all {PASSWORD}"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": hello},
    })  # fmt: skip
    await bob.wait_text(direct, bot.user_id, warning("secrets.group.deleted"), mark)
    assert await redacted(alice, group, edit) and not await redacted(alice, group, hello)

    assert alice.from_user(group, bot.user_id, start) == []  # nothing said in the room
    assert not any(PASSWORD in str(getattr(e, "body", "")) for e in bob.messages[direct])
