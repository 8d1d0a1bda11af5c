"""Archive parsing off the event loop: a process pool, so a big archive never slows others.

The work itself (the reader, the chart, the posts' preparation and their libraries) is
imported where it runs: a worker process loads only what its tasks use, and the bot's
own process none of it.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatbot.memory import return_freed_memory
from chatbot.ops.metrics import ARCHIVE_PARSE_SECONDS

if TYPE_CHECKING:
    from chatbot.archive import ParsedArchive
    from chatbot.posts.prepare import Prepared
    from chatbot.summary.chart import ChartLabels


def _read(paths: Sequence[Path], hints: bool) -> ParsedArchive:
    from chatbot.archive import read_archive
    from chatbot.config import ArchiveLimits

    return read_archive(paths, ArchiveLimits(), hints=hints)


def _chart(tweets_per_year: dict[int, int], labels: ChartLabels) -> bytes:
    from chatbot.summary.chart import posts_per_year_png

    return posts_per_year_png(tweets_per_year, labels)


def _prepare(paths: list[Path], media_dir: Path, options: dict[str, Any]) -> Prepared:
    from chatbot.posts.prepare import prepare_posts

    return prepare_posts(paths, media_dir, **options)


TASKS_PER_POOL = 50  # per process, before the pool is replaced


class ParserPool:
    """Runs archive reads and chart rendering in worker processes (or threads, inline)."""

    def __init__(self, workers: int = 2, *, processes: bool = True) -> None:
        self._workers = workers
        self._processes = processes
        self._submitted = 0
        self._executor: Executor = self._new_executor()

    def _new_executor(self) -> Executor:
        if not self._processes:
            return ThreadPoolExecutor(max_workers=self._workers)
        # not `max_tasks_per_child`: on Python 3.11 a pool whose processes reached it stops
        # replacing them and every later task waits forever (CPython gh-115634)
        return ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=return_freed_memory,
        )

    def _next_executor(self) -> Executor:
        """The pool for the next task: a fresh one every `TASKS_PER_POOL` tasks per process,
        so that memory a parser kept is given back; the old one finishes its tasks first."""
        self._submitted += 1
        if self._processes and self._submitted > TASKS_PER_POOL * self._workers:
            old, self._executor = self._executor, self._new_executor()
            old.shutdown(wait=False)
            self._submitted = 1
        return self._executor

    async def read(self, paths: Sequence[Path], *, hints: bool) -> ParsedArchive:
        loop = asyncio.get_running_loop()
        with ARCHIVE_PARSE_SECONDS.time():
            return await loop.run_in_executor(self._next_executor(), _read, list(paths), hints)

    async def prepare_posts(
        self, paths: Sequence[Path], media_dir: Path, **options: Any
    ) -> Prepared:
        """`chatbot.posts.prepare.prepare_posts` in a worker (photos are re-encoded there)."""
        loop = asyncio.get_running_loop()
        call = functools.partial(_prepare, list(paths), media_dir, options)
        return await loop.run_in_executor(self._next_executor(), call)

    async def chart(self, tweets_per_year: dict[int, int], labels: ChartLabels) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._next_executor(), _chart, tweets_per_year, labels)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
