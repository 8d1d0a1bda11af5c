"""The bot in a group room: answers commands, never shows personal data there."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chatbot.i18n import translator
from tests.e2e.matrix.archive import make_archive
from tests.e2e.matrix.conftest import BotProcess
from tests.e2e.matrix.driver import MatrixUser

pytestmark = [pytest.mark.server, pytest.mark.slow]

EN = translator("en")


async def private_room_from_bot(person: MatrixUser, bot: BotProcess, group: str) -> str:
    """Accept the bot's invitation to a private room and return that room."""
    await person.wait(lambda: any(r != group for r in person.invites), "the bot's invitation")
    room = next(r for r in person.invites if r != group)
    await person.join(room)
    members = person.client.rooms[room]
    assert set(members.users) == {person.user_id, bot.user_id}
    await person.wait_text(room, bot.user_id, EN("group.private_hello"), 0)
    return room


async def test_group_room(people: Callable[[str], Any], bot: BotProcess, tmp_path: Path) -> None:
    alice: MatrixUser = await people("alice")
    bob: MatrixUser = await people("bob")
    group = await alice.create_room([bot.user_id, bob.user_id], direct=False, encrypted=False)
    await bob.wait(lambda: group in bob.invites, "bob's invitation")
    await bob.join(group)
    await alice.wait_joined(group, bot.user_id)
    await alice.wait_joined(group, bob.user_id)

    # a command the bot knows is addressed to it; chatter is not
    start = alice.mark(group)
    await alice.send_text(group, "hello everyone, the bot is here")
    await alice.send_text(group, "!help")
    await alice.wait_text(group, bot.user_id, EN("help.title"), start)
    await alice.send_text(group, "!unknowncommand for another bot")
    await alice.send_text(group, "!help")
    await alice.wait(
        lambda: len(alice.from_user(group, bot.user_id, start)) >= 2, "the second help"
    )

    # an archive in the group: the bot moves to a private room with the sender
    facts = make_archive(tmp_path / "archive.zip")
    mark = alice.mark(group)
    await alice.send_file(group, facts.path, "application/zip")
    await alice.wait_text(group, bot.user_id, EN("group.moved_to_private"), mark)
    private = await private_room_from_bot(alice, bot, group)

    # a personal command from bob: the same, for bob
    mark = bob.mark(group)
    await bob.send_text(group, "!summary")
    await bob.wait_text(group, bot.user_id, EN("group.moved_to_private"), mark)
    await private_room_from_bot(bob, bot, group)

    # the archive is then handled in the private room, not in the group
    mark = alice.mark(private)
    await alice.send_file(private, facts.path, "application/zip")
    await alice.wait_text(private, bot.user_id, f"@{facts.username}", mark, within=60)

    await alice.wait(lambda: len(alice.from_user(group, bot.user_id, start)) >= 4, "all")
    group_texts = [e.body for e in alice.from_user(group, bot.user_id, start)]
    assert len(group_texts) == 4, group_texts  # help, help, moved, moved: nothing else
    assert sum(EN("help.title") in text for text in group_texts) == 2
    assert group_texts.count(EN("group.moved_to_private")) == 2
    personal = (
        facts.username,
        facts.display_name,
        EN.plural("summary.following", facts.following),
        EN.plural("summary.followers", facts.followers),
        EN.plural("summary.posts", facts.tweets),
    )
    for text in group_texts:
        for secret in personal:
            assert secret not in text
    assert all(
        e.source["content"]["msgtype"] == "m.notice"
        for e in alice.from_user(group, bot.user_id, start)
    )
