"""The job runner in scale-out mode: kicks go through the queue, workers defer long waits.

`QueuedJobRunner` (front ends): `/follow`, `/import posts` and `/resume` enqueue the
user's drain instead of starting a task in this process. `WorkerJobRunner` (workers)
runs a drain: each of the user's runnable jobs once; a wait longer than `DEFER_S` (a
rate-limit window) is not slept through: the job saves its checkpoint, the queue is
asked to wake the user at that time, and the worker is free meanwhile. Shorter waits
poll the job's state, since `/pause` and `/cancel` come from another process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from chatbot.migration.jobs import Deferred, JobRunner
from chatbot.migration.store import RUNNABLE, Job
from chatbot.outages import OUTAGES as INFRA
from chatbot.platforms.base import Platform
from chatbot.queue.client import TaskQueue

if TYPE_CHECKING:
    from chatbot.services import Services

log = logging.getLogger(__name__)

DEFER_S = 20.0
POLL_S = 2.0
SWEEP_S = 30.0
OUTAGES: tuple[type[BaseException], ...] = (RedisError, *INFRA)


class QueuedJobRunner(JobRunner):
    def __init__(
        self,
        services: Services,
        platforms: Mapping[str, Platform] | None = None,
        *,
        queue: TaskQueue,
        **options: Any,
    ) -> None:
        super().__init__(services, platforms, **options)
        self.queue = queue
        self._sweep: asyncio.Task[None] | None = None

    async def kick(self, user_id: int) -> None:
        """Enqueue the user's drain; when Redis is away the job waits in the database and
        the periodic sweep (`keep_going`) enqueues it once Redis is back."""
        try:
            await self.queue.drain_user(user_id)
        except RedisError as exc:
            log.warning("queue unavailable (%s): job of user %d kept for later", exc, user_id)

    async def start(self) -> int:
        users = await super().start()
        self._sweep = asyncio.create_task(self.keep_going(), name="jobs-sweep")
        return users

    async def close(self) -> None:
        if self._sweep is not None:
            self._sweep.cancel()
            await asyncio.gather(self._sweep, return_exceptions=True)
        await super().close()

    async def keep_going(self) -> None:
        """Every `SWEEP_S`: enqueue the drains of users whose jobs are due (after an outage
        of Redis, or anything that lost a queued task). Drains are keyed per user, so
        this never runs a user's jobs twice."""
        while True:
            await asyncio.sleep(SWEEP_S)
            try:
                now = dt.datetime.now(dt.UTC)
                for user_id in await self.store.due_users(now):
                    await self.queue.drain_user(user_id)
            except OUTAGES as exc:
                log.warning("job sweep: %s", type(exc).__name__)


class WorkerJobRunner(QueuedJobRunner):
    async def start(self) -> int:
        return 0  # the front ends enqueue; a worker only runs what it is given

    async def drain(self, user_id: int) -> int:
        """Run each runnable job of the user once (waiting ones are woken later)."""
        seen: set[int] = set()
        while True:
            jobs = [j for j in await self.store.for_user(user_id, RUNNABLE) if j.id not in seen]
            if not jobs:
                return len(seen)
            job = jobs[0]
            seen.add(job.id)
            wake = job.next_run_at.timestamp() if job.next_run_at else 0.0
            if wake > self.now() + 1:  # still in its wait: make sure it is woken
                await self.queue.nudge(user_id, wake)
                continue
            await self._execute(job)

    async def sleep(self, job: Job, seconds: float) -> bool:
        await self.report(job, force=seconds > self.report_interval_s)  # see JobRunner.sleep
        if seconds > DEFER_S:
            await self.queue.nudge(job.user_id, self.now() + seconds)
            raise Deferred()
        deadline = time.monotonic() + max(0.0, seconds)
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(POLL_S, left))
            if not await self.active(job):
                return False
        return await self.active(job)
