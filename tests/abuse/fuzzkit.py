"""Run one hostile upload through the reader and watch what it does.

`run_example` calls `read_archive`, `open_archive(...).iter_tweets()` and `prepare_posts`
on one `FuzzInput` and records: any exception other than `ArchiveError` (a crash), every
file the code opened for writing or created outside the media folder (an audit hook),
the peak of traced Python memory and of the process's resident memory, and the time.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import traceback
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatbot.archive import ArchiveError, open_archive, read_archive
from chatbot.config import ArchiveLimits
from chatbot.posts.prepare import prepare_posts
from tests.abuse.mutations import ESCAPE, FuzzInput

MB = 1024**2
# The limits of a test bot: real defaults, with the upload cap lowered to what tests send.
LIMITS = ArchiveLimits(max_upload_bytes=256 * MB)


@dataclass
class Outcome:
    label: str
    codes: list[str] = field(default_factory=list)  # ArchiveError codes, or "ok"
    crashes: list[str] = field(default_factory=list)  # tracebacks of other exceptions
    writes: list[str] = field(default_factory=list)  # writes outside the media folder
    seconds: float = 0.0
    traced_mb: float = 0.0  # tracemalloc peak (Python allocations)
    rss_mb: float = 0.0  # growth of the resident set's high-water mark (all allocations)


class WriteWatch:
    """An audit hook (installed once per process) that lists writes outside `allowed`."""

    _installed: WriteWatch | None = None

    def __init__(self) -> None:
        self.allowed: Path | None = None
        self.seen: list[str] = []

    @classmethod
    def get(cls) -> WriteWatch:
        if cls._installed is None:
            cls._installed = cls()
            sys.addaudithook(cls._installed._hook)
        return cls._installed

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if self.allowed is None:
            return
        if event == "open":
            path, mode, flags = args
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            )
            if writing and isinstance(path, str | bytes | os.PathLike):
                self._check(event, os.fsdecode(path))
        elif event in ("os.mkdir", "os.symlink", "os.link", "os.rename", "shutil.copyfile"):
            self._check(event, os.fsdecode(args[-1] if event != "os.mkdir" else args[0]))

    def _check(self, event: str, path: str) -> None:
        assert self.allowed is not None
        resolved = Path(os.path.abspath(path))
        if resolved != self.allowed and self.allowed not in resolved.parents:
            self.seen.append(f"{event} {path}")


def _rss_reset() -> float:
    """Reset the peak-RSS counter (Linux) and return the current RSS in MB (0 elsewhere)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return 0.0
    return _status("VmRSS")


def _status(key: str) -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_example(inp: FuzzInput, workdir: Path) -> Outcome:
    """Run the three readers on `inp`, laid out in `workdir` (emptied first)."""
    shutil.rmtree(workdir, ignore_errors=True)
    paths = inp.write(workdir / "in")
    media = workdir / "media"
    outcome = Outcome(inp.label)
    calls: list[Callable[[], object]] = [
        lambda: read_archive(paths, LIMITS, hints=True),
        lambda: _drain_tweets(paths),
        lambda: prepare_posts(paths, media, limits=LIMITS),
    ]
    watch = WriteWatch.get()
    rss_before = _rss_reset()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        for call in calls:
            watch.allowed, watch.seen = media.resolve(), []
            try:
                call()
                outcome.codes.append("ok")
            except ArchiveError as error:
                outcome.codes.append(error.code)
            except Exception:  # the property under test: nothing else may escape
                outcome.crashes.append(traceback.format_exc(limit=-6))
            finally:
                watch.allowed = None
            outcome.writes += watch.seen
    finally:
        outcome.seconds = time.perf_counter() - started
        outcome.traced_mb = tracemalloc.get_traced_memory()[1] / MB
        tracemalloc.stop()
    outcome.rss_mb = max(_status("VmHWM") - rss_before, 0.0) if rss_before else 0.0
    escaped = [*workdir.parent.rglob(f"*{ESCAPE}*"), *Path("/tmp").glob(f"{ESCAPE}*")]
    outcome.writes += [str(p) for p in escaped]
    return outcome


def _drain_tweets(paths: list[Path]) -> int:
    with open_archive(paths, LIMITS) as source:
        return sum(1 for _ in source.iter_tweets())
