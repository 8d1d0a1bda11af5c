"""Background work started by a conversation: one job per user, tracked and cancellable.

A handler that starts long work (matching an archive against the networks) spawns it
here and returns, so the user's next messages are not queued behind it and other users
are never blocked. A new job of the same user replaces the running one; `/forget` and
shutdown cancel them; tests wait for them with `idle()`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterable
from typing import Any

log = logging.getLogger(__name__)


class BackgroundJobs:
    def __init__(self) -> None:
        self._tasks: dict[tuple[str, int], asyncio.Task[None]] = {}

    def spawn(self, kind: str, user_id: int, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` in the background, replacing the same user's running job of this kind."""
        key = (kind, user_id)
        previous = self._tasks.get(key)
        if previous is not None and not previous.done():
            previous.cancel()
        task = asyncio.create_task(work, name=f"{kind}-{user_id}")
        self._tasks[key] = task
        task.add_done_callback(lambda done: self._finished(key, done))

    def _finished(self, key: tuple[str, int], task: asyncio.Task[None]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]
        if not task.cancelled() and task.exception() is not None:
            log.error("background job %s failed", key[0], exc_info=task.exception())

    def cancel_user(self, user_id: int) -> None:
        for (_, owner), task in list(self._tasks.items()):
            if owner == user_id:
                task.cancel()

    def running(self) -> set[asyncio.Task[None]]:
        """The jobs running now (to wait later for those a piece of work started)."""
        return set(self._tasks.values())

    async def idle(self) -> None:
        """Wait until every job has finished (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    @staticmethod
    async def wait(tasks: Iterable[asyncio.Task[None]]) -> None:
        """Wait until these jobs have finished (their failures are logged, not raised)."""
        await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
