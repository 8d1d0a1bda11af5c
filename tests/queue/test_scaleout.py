"""Scale-out mode in one test process: a front end and a worker on PostgreSQL and Redis.

The front end hands the archive to the worker, the worker reads it and its replies come
back through the outbox; the follow job submitted on the front end runs on the worker;
a step started on the front end (`/import posts`) is seen by the worker (Redis).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.migration.writers import BatchResult
from chatbot.platforms.base import RecordingPlatform, Text
from chatbot.queue.outbox import OutboxRelay
from chatbot.queue.runner import QueuedJobRunner
from chatbot.queue.worker import build_worker
from chatbot.services import Services
from devtools.archivegen import ArchiveSpec, generate
from handlers import build_registry
from tests.conversation.harness import Chat, start_follow
from tests.export.matches import bsky


class FakeFollows:
    requests = 0

    def __init__(self) -> None:
        self.followed: list[str] = []

    async def existing_follows(self) -> dict[str, str]:
        return {}

    async def create_follows(self, subjects: list[str]) -> BatchResult:
        self.followed += subjects
        return BatchResult([f"at://me/app.bsky.graph.follow/{n}" for n in range(len(subjects))])


@pytest.fixture
def scaled(settings: Settings, postgres_url: str, redis_url: str) -> Settings:
    return settings.model_copy(
        update={"database_url": postgres_url, "redis_url": redis_url, "follow_pace": False}
    )


class Deployment:
    """One front end (recording platform "console") and one worker, in this process."""

    def __init__(self, front: Services, platform: RecordingPlatform, writer: FakeFollows) -> None:
        self.front = front
        self.platform = platform
        self.writer = writer
        self.chat = Chat(Dispatcher(front, build_registry()), platform)
        self.chat.wait_for_jobs = False

    def shown(self) -> str:
        texts = [r.text for _, r in self.platform.sent if isinstance(r, Text)]
        return "\n".join(texts + [r.text for _, r in self.platform.edits])

    async def until(self, condition: Callable[[], bool], within_s: float = 60.0) -> None:
        deadline = time.monotonic() + within_s
        while not condition():
            assert time.monotonic() < deadline, f"timed out; the user saw:\n{self.shown()}"
            await asyncio.sleep(0.1)


@pytest.fixture
async def deployment(scaled: Settings) -> AsyncIterator[Deployment]:
    front = await Services.start(scaled, processes=False)
    assert front.queue is not None
    platform = RecordingPlatform(name="console")
    writer = FakeFollows()

    async def factory(*_: Any) -> FakeFollows:
        return writer

    front.follow_jobs = QueuedJobRunner(
        front, {"console": platform}, queue=front.queue, writer_factory=factory
    )
    worker = build_worker(scaled)

    async def stand_in_writer(ctx: dict[str, Any]) -> None:
        ctx["services"].follow_jobs.writer_factory = factory

    worker.startup = [*(worker.startup or []), stand_in_writer]
    relay = OutboxRelay(front.queue.queue.redis, {"console": platform})
    tasks = [asyncio.create_task(worker.start()), asyncio.create_task(relay.run_forever())]
    try:
        yield Deployment(front, platform, writer)
    finally:
        await worker.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await front.close()


async def test_archive_follows_and_steps_cross_processes(
    deployment: Deployment, tmp_path: Path
) -> None:
    d = deployment
    archive = generate(ArchiveSpec(era="H", tweets=40, seed=4), tmp_path / "x.zip").path
    await d.chat.upload(archive)  # the front end only downloads and hands over
    await d.until(lambda: "Archive of @" in d.shown() and "file has been deleted" in d.shown())
    uploads = d.front.settings.uploads_dir
    await d.until(lambda: not any(p.is_file() for p in uploads.rglob("*")))  # deleted after
    user = await d.front.users.get_or_create("console", "alice")
    assert await d.front.archives.load(user.id) is not None  # stored by the worker

    found = [bsky(n, "verified", did=f"did:plc:{n:024d}") for n in range(250)]
    d.front.match_cache[user.id] = (time.monotonic(), found)
    await start_follow(d.chat, "/follow bluesky")
    await d.until(lambda: "Bluesky: finished." in d.shown())
    assert sorted(d.writer.followed) == sorted(m.did for m in found if m.did)
    job = await d.front.follow_jobs.store.latest(user.id)
    assert job is not None and (job.state, job.done) == ("done", 250)

    await d.chat.say("/import posts dry")  # the step lives in Redis: the worker sees it
    await d.chat.upload(archive)
    await d.until(lambda: "That was a dry run: nothing was posted." in d.shown())
