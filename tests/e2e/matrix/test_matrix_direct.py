"""A person talks to the bot in a direct room on a real Synapse (plain and encrypted)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nio import RoomEncryptedMedia, RoomMessageImage

from chatbot.i18n import translator
from chatbot.platforms.matrix_events import is_edit
from tests.e2e.matrix.archive import make_archive
from tests.e2e.matrix.conftest import BotProcess
from tests.e2e.matrix.driver import MatrixUser
from tests.servers.synapse import SynapseServer

pytestmark = [pytest.mark.server, pytest.mark.slow]

EN = translator("en")
FR = translator("fr")
PNG = b"\x89PNG\r\n\x1a\n"


async def open_dm(person: MatrixUser, bot: BotProcess, *, encrypted: bool) -> str:
    room_id = await person.create_room([bot.user_id], direct=True, encrypted=encrypted)
    await person.wait_joined(room_id, bot.user_id)  # the bot accepts the invite by itself
    await person.wait_text(room_id, bot.user_id, EN("start.welcome"), 0)  # and says hello
    return room_id


async def ask(person: MatrixUser, room: str, bot: BotProcess, text: str, expect: str) -> str:
    mark = person.mark(room)
    await person.send_text(room, text)
    return await person.wait_text(room, bot.user_id, expect, mark)


def is_chart(event: Any) -> bool:
    return isinstance(event, RoomMessageImage | RoomEncryptedMedia) and (
        getattr(event, "source", {}).get("content", {}).get("msgtype") == "m.image"
    )


async def upload_and_check_summary(
    person: MatrixUser, room: str, bot: BotProcess, tmp_path: Path
) -> None:
    facts = make_archive(tmp_path / "twitter-archive.zip")
    mark = person.mark(room)
    await person.send_file(room, facts.path, "application/zip")
    summary = await person.wait_text(room, bot.user_id, f"@{facts.username}", mark, within=60)
    assert facts.display_name in summary
    for count in (facts.tweets, facts.following, facts.followers):
        assert str(count) in summary
    chart = await person.wait_for(room, bot.user_id, is_chart, mark, "the chart", within=60)
    assert chart.source["content"]["msgtype"] == "m.image"
    assert (await person.download(chart)).startswith(PNG)
    # every reply of the bot is a notice (bots never answer notices: no loops)
    replies = person.from_user(room, bot.user_id, mark)
    for event in replies:
        if not is_chart(event):
            assert event.source["content"]["msgtype"] == "m.notice"
    # the progress message was edited in place (m.replace) to its final state
    edits = [e.source["content"] for e in replies if is_edit(e.source["content"])]
    assert any(c["m.new_content"]["body"] == EN("upload.read_done") for c in edits), edits


async def test_direct_chat_help_archive_and_language(
    people: Callable[[str], Any], bot: BotProcess, synapse: SynapseServer, tmp_path: Path
) -> None:
    alice: MatrixUser = await people("alice")
    room = await open_dm(alice, bot, encrypted=False)

    help_en = await ask(alice, room, bot, "/help", EN("help.title"))
    assert "!lang" in help_en
    await ask(alice, room, bot, "!help", EN("help.title"))

    await upload_and_check_summary(alice, room, bot, tmp_path)

    await ask(alice, room, bot, "!lang fr", FR("lang.set"))
    await ask(alice, room, bot, "!help", FR("help.title"))

    # the numbered choice flow (Matrix has no buttons): /lang, then reply "1" (English)
    choices = await ask(alice, room, bot, "/lang", FR("lang.choose"))
    assert "1. English" in choices
    assert "2. Français" in choices
    await ask(alice, room, bot, "1", EN("lang.set"))
    await ask(alice, room, bot, "/help", EN("help.title"))

    # when alice leaves, the bot does not stay alone in the room
    await alice.client.room_leave(room)
    await alice.wait(lambda: not synapse.room_members(room), "the bot leaving", 20)


async def test_encrypted_direct_chat(
    people: Callable[[str], Any], bot: BotProcess, tmp_path: Path
) -> None:
    carol: MatrixUser = await people("carol")
    room = await open_dm(carol, bot, encrypted=True)
    assert carol.client.rooms[room].encrypted

    await ask(carol, room, bot, "!help", EN("help.title"))
    replies = carol.from_user(room, bot.user_id)
    assert replies, "no reply decrypted"
    # the bot's replies really were encrypted on the wire
    assert all(event.decrypted for event in replies)

    await upload_and_check_summary(carol, room, bot, tmp_path)
    chart = next(e for e in carol.from_user(room, bot.user_id) if is_chart(e))
    assert isinstance(chart, RoomEncryptedMedia)  # the chart was uploaded encrypted
    assert not carol.undecrypted
