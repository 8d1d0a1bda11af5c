"""Threat model §4.5: two users looping worst-case uploads and /summary cannot starve a third.

The bot's real parser pool (2 processes, as in production) and dispatcher. The attackers'
archive has a 300,000-character username and display name: before the bounds, its chart
title alone took ~27 s of a parser process per drawing, and /summary drew it again, so
two attackers kept both processes busy. A third user's small archive must get its
summary within 2 × its time alone + 1 s (measured alone first, in the same test).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.parsing import ParserPool
from chatbot.platforms.base import ChatRef, RecordingPlatform, Reply, SentMessage, Text
from chatbot.services import Services
from devtools.archivegen import ArchiveSpec, generate
from handlers import build_registry
from tests.abuse.hostile import long_name_archive
from tests.conversation.harness import Chat


class TimedPlatform(RecordingPlatform):
    """Notes when each chat first saw a summary."""

    def __init__(self) -> None:
        super().__init__(name="telegram")
        self.summary_at: dict[str, float] = {}

    async def send(self, chat: ChatRef, reply: Reply) -> SentMessage:
        if isinstance(reply, Text) and reply.text.startswith("📦"):
            self.summary_at.setdefault(chat.chat_id, time.monotonic())
        return await super().send(chat, reply)


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    services = await Services.start(settings.model_copy(update={"parse_workers": 2}))
    yield services
    await services.close()


async def _summary_time(chat: Chat, platform: TimedPlatform, archive: Path) -> float:
    started = time.monotonic()
    upload = asyncio.create_task(chat.upload(archive))
    while chat.chat.chat_id not in platform.summary_at:
        assert not upload.done() or upload.exception() is None
        await asyncio.sleep(0.01)
    await upload
    return platform.summary_at[chat.chat.chat_id] - started


async def _attack(chat: Chat, archive: Path) -> None:
    """Uploads and /summary as fast as the chat delivers them. A real chat delivers each
    message over the network; here a refused message may be handled without the event
    loop ever being given back, and a loop that never yields starved the whole process
    (the test's own measuring with it) for ~28 s: each message yields once, as the
    platform's I/O would."""
    while True:
        await chat.upload(archive)
        await asyncio.sleep(0)
        for _ in range(3):
            await chat.say("/summary")
            await asyncio.sleep(0)


@pytest.mark.slow
async def test_attackers_looping_long_names_do_not_starve_a_small_archive(
    services: Services, tmp_path: Path
) -> None:
    platform = TimedPlatform()
    dispatcher = Dispatcher(services, build_registry())

    def chat(user: str) -> Chat:
        talk = Chat(dispatcher, platform, user=user)
        talk.wait_for_jobs = False
        return talk

    attack = long_name_archive(tmp_path / "twitter-attack.zip", name_chars=300_000,
                               bio_chars=1_000, tweets=400, seed=41)  # fmt: skip
    warm, alone, crowded = (
        generate(ArchiveSpec(era="H", tweets=40, seed=seed), tmp_path / f"small-{seed}.zip").path
        for seed in (42, 43, 44)
    )
    await _summary_time(chat("warm"), platform, warm)  # the parser processes are started
    solo = await _summary_time(chat("carol"), platform, alone)

    attackers = [asyncio.create_task(_attack(chat(user), attack)) for user in ("mal", "trudy")]
    try:
        await asyncio.sleep(1.5)  # both attackers have work in the pool
        shared = await asyncio.wait_for(_summary_time(chat("dave"), platform, crowded), 120)
    finally:
        for task in attackers:
            task.cancel()
        for task in attackers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
    attacks = sum(1 for c, r in platform.sent if c.chat_id in ("dm-mal", "dm-trudy"))
    print(f"\nABUSE fair share: alone {solo:.2f} s, beside two attackers {shared:.2f} s "
          f"(bound {2 * solo + 1:.2f} s); the attackers got {attacks} replies")  # fmt: skip
    assert attacks > 0
    assert shared <= 2 * solo + 1


async def test_a_users_second_task_waits_behind_every_other_users_first() -> None:
    """One process, three users: mallory queues four tasks at once, then bob and carol one
    each; after mallory's first, bob's and carol's run before her three others."""
    pool = ParserPool(1, processes=False)
    order: list[str] = []
    gate = threading.Event()

    def task(name: str) -> str:
        gate.wait(10)
        order.append(name)
        return name

    try:
        runs = [pool.run("mallory", functools.partial(task, f"m{n}")) for n in range(4)]
        runs += [pool.run("bob", functools.partial(task, "b")),
                 pool.run("carol", functools.partial(task, "c"))]  # fmt: skip
        waiting = [asyncio.ensure_future(run) for run in runs]
        await asyncio.sleep(0.1)  # all queued; the first is running, held by the gate
        gate.set()
        assert await asyncio.gather(*waiting) == ["m0", "m1", "m2", "m3", "b", "c"]
    finally:
        pool.close()
    assert order == ["m0", "b", "c", "m1", "m2", "m3"]
