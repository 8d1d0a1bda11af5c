"""A restarted bot never replays what it already handled, with encryption on and off.

Before a restart: a direct room (the bot greets), an organisation set up in a group room,
and commands answered. After it: nothing is answered, greeted or renamed twice, and a new
command is answered promptly (the sync position survives the restart in both modes).

Without encryption the bot used to start from an initial sync that Synapse served from its
response cache (the same request as the previous start): it replayed everything since,
and in a room whose join was out of that replay's view it stayed deaf.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chatbot.i18n import translator
from tests.e2e.matrix.conftest import BotProcess, people_on, running_bot
from tests.e2e.matrix.driver import MatrixUser, as_shown
from tests.e2e.modes import modes, not_private
from tests.servers.synapse import SynapseServer

pytestmark = [pytest.mark.server, pytest.mark.slow]

EN = translator("en")
NAME = "Replay Test Town"
PROMPT_S = 15.0  # a command after the restart is answered within this many seconds
# commands before the restart: with their answers, more events than a sync's default
# timeline (10), so a position from before the bot joined hides its join
HELPS = 6


@pytest.fixture(params=[False, True], ids=["plain", "encrypted"])
def restartable(
    request: pytest.FixtureRequest, synapse: SynapseServer, tmp_path: Path
) -> Iterator[BotProcess]:
    encrypted: bool = request.param
    process = BotProcess(
        synapse,
        tmp_path / "bot",
        localpart=f"replaybot{'e' if encrypted else 'p'}{time.monotonic_ns() % 10**6}",
        extra_env={"CHATBOT_MATRIX_ENCRYPTION": "true" if encrypted else "false"},
    )
    with running_bot(process):
        yield process


@pytest.fixture
async def person(
    synapse: SynapseServer, restartable: BotProcess, tmp_path: Path
) -> AsyncIterator[Callable[[str], Any]]:
    async with people_on(synapse, tmp_path / "people") as make:
        yield make


def bodies(person: MatrixUser, room: str, bot: BotProcess) -> list[str]:
    return [str(getattr(e, "body", "")) for e in person.from_user(room, bot.user_id)]


async def test_a_restart_replays_nothing_and_answers_at_once(
    person: Callable[[str], Any], restartable: BotProcess
) -> None:
    bot = restartable
    encrypted = bot.extra_env["CHATBOT_MATRIX_ENCRYPTION"] == "true"
    erin: MatrixUser = await person("erin")
    direct = await erin.create_room([bot.user_id], direct=True, encrypted=encrypted)
    await erin.wait_joined(direct, bot.user_id)
    await erin.wait_text(direct, bot.user_id, EN("start.welcome"), 0)
    frank: MatrixUser = await person("frank")  # a third member: a group, not a direct room
    group = await erin.create_room([bot.user_id, frank.user_id], direct=False, encrypted=encrypted)
    await frank.wait(lambda: group in frank.invites, "the invitation")
    await frank.join(group)
    await erin.wait_joined(group, bot.user_id)
    await erin.send_text(group, f"!group setup {NAME}")
    await erin.wait_text(group, bot.user_id, EN("org.setup.created", name=NAME), 0)
    for _ in range(HELPS):
        mark = erin.mark(direct)
        await erin.send_text(direct, "!help")
        await erin.wait_text(direct, bot.user_id, EN("help.title"), mark)
    before = {room: bodies(erin, room, bot) for room in (direct, group)}

    bot.stop()
    bot.start()
    mark = erin.mark(direct)
    started = time.monotonic()
    await erin.send_text(direct, "!lang")
    await erin.wait_text(direct, bot.user_id, EN("lang.choose"), mark, within=PROMPT_S)
    assert time.monotonic() - started < PROMPT_S
    await asyncio.sleep(3)  # time for a replay to show, if there were one

    after = {room: bodies(erin, room, bot) for room in (direct, group)}
    new_direct = after[direct][len(before[direct]) :]
    assert len(new_direct) == 1 and as_shown(EN("lang.choose")) in new_direct[0], new_direct
    assert after[group] == before[group], after[group]
    renamed = as_shown(EN("org.setup.renamed", name=NAME))
    assert not any(renamed in text for text in after[group])
    welcome = as_shown(EN("start.welcome"))
    assert sum(welcome in text for text in after[direct]) == 1
    # the session, the sync position and (encrypted) the crypto store: private, though
    # the bot was started under umask 022
    assert (bot.data_dir / "matrix" / "sync.token").exists()
    assert not_private(modes(bot.data_dir, bot.config_dir)) == []
