"""Archive parsing off the event loop: a process pool, so a big archive never slows others."""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from chatbot.archive import ParsedArchive, read_archive
from chatbot.config import ArchiveLimits
from chatbot.ops.metrics import ARCHIVE_PARSE_SECONDS
from chatbot.posts.prepare import Prepared, prepare_posts
from chatbot.summary.chart import ChartLabels, posts_per_year_png


def _read(paths: Sequence[Path], hints: bool) -> ParsedArchive:
    return read_archive(paths, ArchiveLimits(), hints=hints)


class ParserPool:
    """Runs archive reads and chart rendering in worker processes (or threads, inline)."""

    def __init__(self, workers: int = 2, *, processes: bool = True) -> None:
        self._executor: Executor
        if processes:
            self._executor = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                max_tasks_per_child=50,
            )
        else:
            self._executor = ThreadPoolExecutor(max_workers=workers)

    async def read(self, paths: Sequence[Path], *, hints: bool) -> ParsedArchive:
        loop = asyncio.get_running_loop()
        with ARCHIVE_PARSE_SECONDS.time():
            return await loop.run_in_executor(self._executor, _read, list(paths), hints)

    async def prepare_posts(
        self, paths: Sequence[Path], media_dir: Path, **options: Any
    ) -> Prepared:
        """`chatbot.posts.prepare.prepare_posts` in a worker (photos are re-encoded there)."""
        loop = asyncio.get_running_loop()
        call = functools.partial(prepare_posts, list(paths), media_dir, **options)
        return await loop.run_in_executor(self._executor, call)

    async def chart(self, tweets_per_year: dict[int, int], labels: ChartLabels) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, posts_per_year_png, tweets_per_year, labels
        )

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
