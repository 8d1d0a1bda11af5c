"""Give memory back after a burst: glibc's allocator tuned for a long-running bot.

A big archive makes a process allocate tens of megabytes at once (packed ids, their
compressed copy, the directory's rows), then free them. glibc's defaults keep such blocks:
after the first big block is freed its mmap threshold rises to that size, so the next
ones come from the heap, which is trimmed only from its top, and every thread (aiosqlite
runs one per connection) gets its own heap. Fixing the thresholds (which also turns the
rising off) maps every block over 4 MiB on its own and unmaps it when freed, and trims
the heap when 4 MiB are free at its top; two arenas are enough for a process whose work
is one event loop and a few helper threads. (At 128 KiB the reader's 1 MiB buffers were
mapped and unmapped on every chunk: reading 2.2M follower ids took 60 % longer.)

On another C library (musl, macOS) nothing is changed. Measured in bench/README.md
("Scale"): the 2,200,000-follower upload's process tree peaks ~100 MB lower.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1  # from glibc's malloc.h
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
THRESHOLD = 4 * 1024 * 1024
ARENAS = 2


def return_freed_memory() -> bool:
    """Tune this process's allocator (glibc only); whether it was done."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    done = all(
        mallopt(option, value) == 1
        for option, value in (
            (M_MMAP_THRESHOLD, THRESHOLD),
            (M_TRIM_THRESHOLD, THRESHOLD),
            (M_ARENA_MAX, ARENAS),
        )
    )
    if not done:
        log.debug("mallopt refused a setting; the allocator keeps its defaults")
    return done
