"""Other ways to run the bot: an access token instead of a password, and a homeserver
that rate-limits messages (replies wait and are never dropped)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chatbot.i18n import translator
from tests.conftest import server_unavailable
from tests.e2e.matrix.conftest import BotProcess, people_on, running_bot
from tests.e2e.matrix.driver import as_shown
from tests.servers.synapse import SynapseServer, SynapseUnavailable, start_synapse

pytestmark = [pytest.mark.server, pytest.mark.slow]

EN = translator("en")


async def test_access_token_login_keeps_its_device(synapse: SynapseServer, tmp_path: Path) -> None:
    process = BotProcess(synapse, tmp_path / "tokenbot", "tokenbot", use_token=True)
    devices = {d["device_id"] for d in synapse.user_devices(process.user_id)}
    assert len(devices) == 1  # the device of the registration, whose token the bot gets
    with running_bot(process):
        async with people_on(synapse, tmp_path) as people:
            erin = await people("erin")
            room = await erin.create_room([process.user_id], direct=True, encrypted=True)
            await erin.wait_joined(room, process.user_id)
            await erin.send_text(room, "!help")
            await erin.wait_text(room, process.user_id, EN("help.title"), 0)
    assert {d["device_id"] for d in synapse.user_devices(process.user_id)} == devices
    assert synapse.tokens[process.user_id] not in process.log_text()


@pytest.fixture(scope="module")
def strict_synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynapseServer]:
    """A second Synapse allowing 1 message a second per account, with a burst of 2."""
    try:
        server = start_synapse(tmp_path_factory.mktemp("strict"), message_rate=(1, 2))
    except SynapseUnavailable as exc:
        server_unavailable(f"Synapse: {exc}")
        raise
    try:
        yield server
    finally:
        server.stop()


async def test_rate_limited_replies_are_delayed_not_dropped(
    strict_synapse: SynapseServer, tmp_path: Path
) -> None:
    with running_bot(BotProcess(strict_synapse, tmp_path / "bot")) as bot:
        async with people_on(strict_synapse, tmp_path) as people:
            frank = await people("frank")
            room = await frank.create_room([bot.user_id], direct=True, encrypted=False)
            await frank.wait_joined(room, bot.user_id)
            await frank.wait_text(room, bot.user_id, EN("start.how_to_get_archive"), 0)
            mark = frank.mark(room)
            # each /start gets two replies: the bot needs twice the rate frank is allowed
            for _ in range(3):
                await frank.send_text(room, "/start")
            await frank.wait(
                lambda: len(frank.from_user(room, bot.user_id, mark)) >= 6, "six replies", 40
            )
        assert "rate limited, sending again" in bot.log_text()
    texts = [e.body for e in frank.from_user(room, bot.user_id, mark)]
    assert texts.count(as_shown(EN("start.welcome"))) == 3, texts
    assert texts.count(as_shown(EN("start.how_to_get_archive"))) == 3, texts
