"""A restarted bot keeps its device and crypto store, and ignores what came while down."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from chatbot.i18n import translator
from tests.e2e.matrix.conftest import BotProcess
from tests.e2e.matrix.driver import MatrixUser
from tests.servers.synapse import SynapseServer

pytestmark = [pytest.mark.server, pytest.mark.slow]

EN = translator("en")


async def test_restart_reuses_device_and_keys(
    people: Callable[[str], Any], bot: BotProcess, synapse: SynapseServer
) -> None:
    dave: MatrixUser = await people("dave")
    room = await dave.create_room([bot.user_id], direct=True, encrypted=True)
    await dave.wait_joined(room, bot.user_id)
    mark = dave.mark(room)
    await dave.send_text(room, "!help")
    await dave.wait_text(room, bot.user_id, EN("help.title"), mark)

    devices = {d["device_id"] for d in synapse.user_devices(bot.user_id)}
    session = json.loads((bot.data_dir / "matrix" / "session.json").read_text())
    assert session["device_id"] in devices
    assert (bot.data_dir / "matrix" / "session.json").stat().st_mode & 0o077 == 0

    bot.stop()
    mark = dave.mark(room)
    await dave.send_text(room, "!help")  # sent while the bot is down: never answered
    bot.start()

    assert {d["device_id"] for d in synapse.user_devices(bot.user_id)} == devices
    again = json.loads((bot.data_dir / "matrix" / "session.json").read_text())
    assert again["device_id"] == session["device_id"]
    assert session["access_token"] not in bot.log_text()

    # the same device still decrypts dave's messages and encrypts its replies
    await dave.send_text(room, "/lang")
    await dave.wait_text(room, bot.user_id, EN("lang.choose"), mark)
    replies = dave.from_user(room, bot.user_id, mark)
    assert len(replies) == 1, [e.body for e in replies]  # not the !help from the downtime
    assert replies[0].decrypted
    assert not dave.undecrypted
