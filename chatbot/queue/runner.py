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
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chatbot.migration.jobs import Deferred, JobRunner
from chatbot.migration.store import RUNNABLE, Job
from chatbot.platforms.base import Platform
from chatbot.queue.client import TaskQueue

if TYPE_CHECKING:
    from chatbot.services import Services

DEFER_S = 20.0
POLL_S = 2.0


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

    async def kick(self, user_id: int) -> None:
        await self.queue.drain_user(user_id)


class WorkerJobRunner(QueuedJobRunner):
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
        await self.report(job)
        if seconds > DEFER_S:
            await self.queue.nudge(job.user_id, self.now() + seconds)
            raise Deferred()
        deadline = time.monotonic() + max(0.0, seconds)
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(POLL_S, left))
            if not await self.active(job):
                return False
        return await self.active(job)
