"""Threat model §4.9: nothing of a user stays in Redis after delivery, or after /forget.

A scaled deployment in this process (a front end, a worker, the outbox relay) on the real
PostgreSQL and Redis. The archive's owner carries canary names; they reach the user in
the summary (and the chart travels as base64). Every key is then read by its type (SCAN,
then GET / HGETALL / LRANGE / SMEMBERS / ZRANGE / XRANGE) and searched for the canaries
and for the reply text.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.i18n import translator
from chatbot.platforms.base import RecordingPlatform, Text
from chatbot.queue.outbox import OutboxRelay, stream
from chatbot.queue.worker import build_worker
from chatbot.services import Services
from handlers import build_registry
from tests.abuse.hostile import owner_archive
from tests.conversation.harness import Chat

USERNAME, NAME, BIO = "CanaryQz7", "Canary Display Zq9x", "Canary bio Wv3k"
REPLY = f"Archive of @{USERNAME}"
PNG_BASE64 = "iVBORw0KGgo"  # the first bytes of a PNG, base64-encoded (the chart)
CANARIES = (USERNAME, NAME, BIO, REPLY, PNG_BASE64)
EN = translator("en")


async def redis_dump(redis: Redis) -> dict[str, str]:
    """Every key and everything it holds, as text (type-specific reads)."""
    found: dict[str, str] = {}
    async for raw in redis.scan_iter(count=1000):
        key = raw.decode()
        kind = (await redis.type(raw)).decode()
        value: Any
        if kind == "string":
            value = await redis.get(raw)
        elif kind == "hash":
            value = await redis.hgetall(raw)
        elif kind == "list":
            value = await redis.lrange(raw, 0, -1)
        elif kind == "set":
            value = await redis.smembers(raw)
        elif kind == "zset":
            value = await redis.zrange(raw, 0, -1, withscores=True)
        elif kind == "stream":
            value = await redis.xrange(raw, "-", "+")
        else:
            value = kind
        found[key] = repr(value)
    return found


def leaks(dump: dict[str, str]) -> list[tuple[str, str]]:
    return [(key, c) for key, text in dump.items() for c in CANARIES if c in key + text]


class Scaled:
    """A front end (recording platform "console"), a worker and, when running, the relay."""

    def __init__(self, settings: Settings, front: Services) -> None:
        self.settings = settings
        self.front = front
        self.platform = RecordingPlatform(name="console")
        self.chat = Chat(Dispatcher(front, build_registry()), self.platform)
        self.chat.wait_for_jobs = False
        self.redis: Redis = front.queue.queue.redis
        self.worker = build_worker(settings)
        self.tasks: dict[str, asyncio.Task[Any]] = {}

    def start(self, name: str) -> None:
        if name == "worker":
            self.worker = build_worker(self.settings)
            self.tasks[name] = asyncio.create_task(self.worker.start())
        else:
            relay = OutboxRelay(self.redis, {"console": self.platform})
            self.tasks[name] = asyncio.create_task(relay.run_forever())

    async def stop(self, name: str) -> None:
        if name == "worker":
            await self.worker.stop()
        task = self.tasks.pop(name)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    def shown(self) -> str:
        return "\n".join(r.text for _, r in self.platform.sent if isinstance(r, Text))

    async def until(self, condition: Callable[[], Any], within_s: float = 60.0) -> None:
        deadline = time.monotonic() + within_s
        while not (await condition() if asyncio.iscoroutinefunction(condition) else condition()):
            assert time.monotonic() < deadline, f"timed out; the user saw:\n{self.shown()}"
            await asyncio.sleep(0.1)

    async def forget(self) -> None:
        await self.chat.say("/forget")
        replies = await self.chat.press("forget:yes")
        assert EN("forget.done") in [r.text for r in replies if isinstance(r, Text)]


@pytest.fixture
async def scaled(settings: Settings, postgres_url: str, redis_url: str) -> AsyncIterator[Scaled]:
    config = settings.model_copy(update={"database_url": postgres_url, "redis_url": redis_url})
    front = await Services.start(config, processes=False)
    deployment = Scaled(config, front)
    try:
        yield deployment
    finally:
        for name in list(deployment.tasks):
            await deployment.stop(name)
        await front.close()


@pytest.fixture
def canary_zip(tmp_path: Path) -> Path:
    return owner_archive(tmp_path / "twitter-canary.zip", USERNAME, NAME, BIO, seed=61)


async def test_delivered_replies_leave_nothing_and_forget_leaves_nothing(
    scaled: Scaled, canary_zip: Path
) -> None:
    scaled.start("worker")
    scaled.start("relay")
    await scaled.chat.upload(canary_zip)
    await scaled.until(lambda: REPLY in scaled.shown() and "found elsewhere" in scaled.shown())
    await scaled.until(lambda: any(r.__class__.__name__ == "Image" for _, r in
                                   scaled.platform.sent))  # fmt: skip
    await scaled.chat.say("/export all")

    async def stream_empty() -> bool:
        return await scaled.redis.xlen(stream("console")) == 0

    await scaled.until(stream_empty)  # delivered entries are deleted, not trimmed later
    assert leaks(await redis_dump(scaled.redis)) == []
    await scaled.forget()
    assert leaks(await redis_dump(scaled.redis)) == []


async def test_forget_removes_undelivered_replies_steps_and_queued_files(
    scaled: Scaled, canary_zip: Path
) -> None:
    scaled.start("worker")  # no relay: the worker's replies wait in the outbox

    async def summary_waiting() -> bool:
        return REPLY in repr(await scaled.redis.xrange(stream("console"), "-", "+"))

    await scaled.chat.upload(canary_zip)
    await scaled.until(summary_waiting)
    await scaled.stop("worker")
    await scaled.chat.say("/import posts dry")  # a step waiting for the archive (in Redis)
    await scaled.chat.upload(canary_zip)  # handed over, queued: no worker takes it
    uploads = scaled.settings.uploads_dir
    before = await redis_dump(scaled.redis)
    assert leaks(before), "the undelivered summary is in Redis before /forget"
    assert any(key.startswith("chatbot:pending:console:alice") for key in before)
    assert any(key.startswith("saq:job:chatbot:msg:console:alice:") for key in before)
    assert any(p.is_file() for p in uploads.rglob("*"))

    await scaled.forget()
    after = await redis_dump(scaled.redis)
    assert leaks(after) == []
    assert not any(key.startswith("chatbot:pending:console:alice") for key in after)
    assert not any(key.startswith("saq:job:chatbot:msg:console:alice:") for key in after)
    assert not any(uploads.iterdir())
    scaled.start("worker")  # the aborted upload is never read after the forget
    await asyncio.sleep(3)
    user = await scaled.front.users.get_or_create("console", "alice")
    assert await scaled.front.archives.load(user.id) is None
