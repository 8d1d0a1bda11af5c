"""Archive parsing off the event loop: a process pool shared fairly between users.

One big archive never slows other users (threat model §4.5): tasks wait in a queue per
user, and a free process takes the next task of the user who has the fewest tasks
running, then of the one who started the fewest since they began waiting, so a user's
second task waits behind every other user's first. A newcomer counts one start fewer
than the least served user in line: ahead of them once, never for good. The executor
itself never holds more tasks than it has processes. Long id lists come back from a
parser process through a file in the upload's private folder instead of a pickle,
which would hold three copies of them at once.

The work itself (the reader, the chart, the posts' preparation and their libraries) is
imported where it runs: a worker process loads only what its tasks use, and the bot's
own process none of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import multiprocessing
import secrets
from array import array
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from chatbot.memory import return_freed_memory
from chatbot.ops.metrics import ARCHIVE_PARSE_SECONDS

if TYPE_CHECKING:
    from chatbot.archive import ParsedArchive
    from chatbot.posts.prepare import Prepared
    from chatbot.summary.chart import ChartLabels

T = TypeVar("T")
TASKS_PER_POOL = 50  # per process, before the pool is replaced
ID_LISTS = ("following", "followers", "blocked", "muted")
IDS_BY_FILE = 1_000_000  # from this many ids on, they travel through a file
CHARTS_CACHED = 256  # recent charts kept (~30 KB each): /summary again costs nothing


def _read(paths: Sequence[Path], hints: bool, by_file: bool) -> tuple[ParsedArchive, str | None]:
    from chatbot.archive import read_archive
    from chatbot.config import ArchiveLimits

    parsed = read_archive(paths, ArchiveLimits(), hints=hints)
    if not by_file or sum(len(getattr(parsed, name)) for name in ID_LISTS) < IDS_BY_FILE:
        return parsed, None
    path = Path(paths[0]).with_name(f".ids-{secrets.token_hex(6)}")
    with path.open("wb") as out:
        for name in ID_LISTS:
            getattr(parsed, name).tofile(out)
    lengths = {name: len(getattr(parsed, name)) for name in ID_LISTS}
    for name in ID_LISTS:
        setattr(parsed, name, array("q"))
    return parsed, f"{path}\n" + ",".join(str(lengths[name]) for name in ID_LISTS)


def _chart(tweets_per_year: dict[int, int], labels: ChartLabels) -> bytes:
    from chatbot.summary.chart import posts_per_year_png

    return posts_per_year_png(tweets_per_year, labels)


def _prepare(paths: list[Path], media_dir: Path, options: dict[str, Any]) -> Prepared:
    from chatbot.posts.prepare import prepare_posts

    return prepare_posts(paths, media_dir, **options)


def _load_ids(parsed: ParsedArchive, ticket: str) -> None:
    """Read back the id lists `_read` wrote (one copy in memory, no intermediate bytes)."""
    location, _, counts = ticket.partition("\n")
    path = Path(location)
    try:
        with path.open("rb") as source:
            for name, count in zip(ID_LISTS, counts.split(","), strict=True):
                ids = array("q", [0]) * int(count)
                if ids:
                    source.readinto(memoryview(ids).cast("B"))
                setattr(parsed, name, ids)
    finally:
        path.unlink(missing_ok=True)


@dataclass
class _Task:
    call: Callable[[], Any]
    future: asyncio.Future[Any]


@dataclass
class _User:
    key: Hashable
    arrived: int  # order in line among equals
    started: int  # tasks started while in line (newcomers: see the module docstring)
    queued: deque[_Task] = field(default_factory=deque)
    running: int = 0


class ParserPool:
    """Runs archive reads and chart rendering in worker processes (or threads, inline)."""

    def __init__(self, workers: int = 2, *, processes: bool = True) -> None:
        self._workers = workers
        self._processes = processes
        self._submitted = 0
        self._executor: Executor = self._new_executor()
        self._users: dict[Hashable, _User] = {}
        self._busy = 0
        self._arrivals = 0
        self._charts: OrderedDict[tuple[object, ...], bytes] = OrderedDict()

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

    # -- fair queueing ---------------------------------------------------------------------

    async def run(self, user: Hashable, call: Callable[[], T]) -> T:
        """Run `call` (picklable) in the pool when it is `user`'s turn."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        task = _Task(call, future)
        state = self._users.get(user)
        if state is None:
            self._arrivals += 1
            least = min((s.started for s in self._users.values()), default=0)
            state = self._users[user] = _User(user, self._arrivals, max(0, least - 1))
        state.queued.append(task)
        self._pump()
        try:
            return await future
        except asyncio.CancelledError:
            state = self._users.get(user)
            if state is not None and task in state.queued:  # not started: never will be
                state.queued.remove(task)
                self._forget_if_idle(user)
            raise

    def _pump(self) -> None:
        """Start tasks while processes are free (the order: see the module docstring)."""
        while self._busy < self._workers:
            waiting = [state for state in self._users.values() if state.queued]
            if not waiting:
                return
            state = min(waiting, key=lambda s: (s.running, s.started, s.arrived))
            task = state.queued.popleft()
            if task.future.done():  # cancelled while queued
                continue
            state.started += 1
            state.running += 1
            self._busy += 1
            done = self._next_executor().submit(task.call)
            done.add_done_callback(functools.partial(self._finished, state.key, task))

    def _finished(self, user: Hashable, task: _Task, done: Future[Any]) -> None:
        """Called in the executor's thread: hand the result over to the event loop."""
        loop = task.future.get_loop()
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
            loop.call_soon_threadsafe(self._settle, user, task, done)

    def _settle(self, user: Hashable, task: _Task, done: Future[Any]) -> None:
        self._busy -= 1
        state = self._users[user]
        state.running -= 1
        self._forget_if_idle(user)
        if not task.future.done():
            if done.cancelled():
                task.future.cancel()
            elif (error := done.exception()) is not None:
                task.future.set_exception(error)
            else:
                task.future.set_result(done.result())
        self._pump()

    def _forget_if_idle(self, user: Hashable) -> None:
        state = self._users.get(user)
        if state is not None and not state.queued and not state.running:
            del self._users[user]

    # -- the tasks -------------------------------------------------------------------------

    async def read(
        self, paths: Sequence[Path], *, hints: bool, user: Hashable = None
    ) -> ParsedArchive:
        call = functools.partial(_read, list(paths), hints, self._processes)
        with ARCHIVE_PARSE_SECONDS.time():
            parsed, ticket = await self.run(user, call)
        if ticket is not None:
            await asyncio.to_thread(_load_ids, parsed, ticket)
        return parsed

    async def prepare_posts(
        self, paths: Sequence[Path], media_dir: Path, *, user: Hashable = None, **options: Any
    ) -> Prepared:
        """`chatbot.posts.prepare.prepare_posts` in a worker (photos are re-encoded there)."""
        call = functools.partial(_prepare, list(paths), media_dir, options)
        return await self.run(user, call)

    async def chart(
        self, tweets_per_year: dict[int, int], labels: ChartLabels, *, user: Hashable = None
    ) -> bytes:
        """The posts-per-year PNG; the same chart asked again comes from a small cache."""
        key = (tuple(sorted(tweets_per_year.items())), labels)
        png = self._charts.get(key)
        if png is None:
            call = functools.partial(_chart, dict(tweets_per_year), labels)
            png = await self.run(user, call)
            self._charts[key] = png
            while len(self._charts) > CHARTS_CACHED:
                self._charts.popitem(last=False)
        self._charts.move_to_end(key)
        return png

    def close(self) -> None:
        for state in self._users.values():
            for task in state.queued:
                task.future.cancel()
        self._users.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)
