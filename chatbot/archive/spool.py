"""The uploads folder: one private folder per raw upload while it is read, a cap on the
disk they use together, and a sweep of what a crash left behind (threat model §4.7, §4.8).

Each folder holds a ``.reserved`` file with the bytes set aside for it when it was made
(the declared size, else the largest file accepted); the disk in use is, over every
folder, the larger of that and what it holds. Making a folder takes a lock on the
uploads folder (`fcntl.flock`), so processes sharing it (front ends and workers on one
volume) never promise the same bytes twice. A folder whose owner is alive is in that
process's `live` set and touched while it lives; the sweep removes every other entry
left untouched for `orphan_after_s` (at the start of a single process: every entry,
since nothing else can own one).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import secrets
import shutil
import time
from pathlib import Path

from chatbot.platforms.base import DownloadFailed

log = logging.getLogger(__name__)

RESERVED = ".reserved"


class UploadLost(DownloadFailed):
    """A handed-over upload is gone (its worker died, or it waited past the sweep)."""


def _size(entry: Path) -> tuple[int, float]:
    """(bytes, newest mtime) of a folder or file, ``.reserved`` excluded from the bytes."""
    try:
        info = entry.stat()
    except FileNotFoundError:
        return 0, 0.0
    if not entry.is_dir():
        return info.st_size, info.st_mtime
    total, newest = 0, info.st_mtime
    with contextlib.suppress(OSError):
        for child in entry.rglob("*"):
            with contextlib.suppress(OSError):
                stat = child.stat()
                newest = max(newest, stat.st_mtime)
                if child.is_file() and child.name != RESERVED:
                    total += stat.st_size
    return total, newest


def _reserved(folder: Path) -> int:
    try:
        return int((folder / RESERVED).read_text() or 0)
    except (OSError, ValueError):
        return 0


class UploadSpool:
    def __init__(self, root: Path, max_bytes: int, orphan_after_s: float) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.orphan_after_s = orphan_after_s
        self.live: set[Path] = set()
        self._task: asyncio.Task[None] | None = None

    # -- folders ---------------------------------------------------------------------------

    def usage(self) -> int:
        """Bytes the uploads hold or have reserved, over every folder."""
        total = 0
        for entry in self._entries():
            held, _ = _size(entry)
            total += max(held, _reserved(entry) if entry.is_dir() else 0)
        return total

    def _entries(self) -> list[Path]:
        try:
            return list(self.root.iterdir())
        except FileNotFoundError:
            return []

    def _make(self, size: int, prefix: str, check: bool) -> Path | None:
        self.root.mkdir(parents=True, exist_ok=True)
        lock = os.open(self.root, os.O_RDONLY)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if check and self.usage() + size > self.max_bytes:
                return None
            folder = self.root / (prefix + secrets.token_hex(8))
            folder.mkdir(mode=0o700)
            (folder / RESERVED).write_text(str(size))
            self.live.add(folder)
            return folder
        finally:
            os.close(lock)  # releases the lock

    async def reserve(self, size: int, *, prefix: str = "", check: bool = True) -> Path | None:
        """A new private folder with `size` bytes set aside; None when the uploads would go
        over the cap (`check=False` for a file already counted elsewhere)."""
        return await asyncio.to_thread(self._make, size, prefix, check)

    def release(self, folder: Path) -> None:
        """Delete a folder and what it holds (the upload was read, or refused)."""
        self.live.discard(folder)
        shutil.rmtree(folder, ignore_errors=True)

    def disown(self, folder: Path) -> None:
        """Another process takes the folder over (a hand-over): stop touching it."""
        self.live.discard(folder)

    # -- the sweep -------------------------------------------------------------------------

    def sweep(self, older_than_s: float) -> int:
        """Remove every entry no live folder of this process holds, untouched for
        `older_than_s` seconds; how many were removed."""
        now = time.time()
        removed = 0
        for entry in self._entries():
            if entry in self.live:
                continue
            _, newest = _size(entry)
            if now - newest < older_than_s:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed += 1
        if removed:
            log.info("uploads sweep: removed %d orphaned upload(s)", removed)
        return removed

    def touch(self) -> None:
        for folder in list(self.live):
            with contextlib.suppress(OSError):
                os.utime(folder)

    async def start(self, *, alone: bool) -> None:
        """Sweep now (everything when `alone`: no other process shares the folder) and
        then periodically."""
        await asyncio.to_thread(self.sweep, 0.0 if alone else self.orphan_after_s)
        self._task = asyncio.create_task(self._run(), name="uploads-sweep")

    async def _run(self) -> None:
        interval = min(max(self.orphan_after_s / 4, 1.0), 600.0)
        while True:
            await asyncio.sleep(interval)
            try:
                self.touch()
                await asyncio.to_thread(self.sweep, self.orphan_after_s)
            except OSError as exc:
                log.warning("uploads sweep failed: %s", exc)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
