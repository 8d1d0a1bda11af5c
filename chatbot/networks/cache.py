"""A small in-memory TTL cache for network lookups: long for hits, short for misses.

Identity data may be cached for up to 24 h and failures for about 5 min (Bluesky's advice
for handle resolution); the same policy suits Mastodon lookups. Entries are evicted in
least-recently-used order beyond `max_entries`, so a long-running bot stays bounded.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

HIT_TTL = 24 * 3600.0
MISS_TTL = 5 * 60.0


class TTLCache(Generic[K, V]):
    """`get` says whether the key is cached (a cached miss is `(True, None)`)."""

    def __init__(
        self,
        hit_ttl: float = HIT_TTL,
        miss_ttl: float = MISS_TTL,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hit_ttl = hit_ttl
        self.miss_ttl = miss_ttl
        self.max_entries = max_entries
        self._clock = clock
        self._data: OrderedDict[K, tuple[float, V | None]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: K) -> tuple[bool, V | None]:
        entry = self._data.get(key)
        if entry is None:
            self.misses += 1
            return False, None
        expires, value = entry
        if expires <= self._clock():
            del self._data[key]
            self.misses += 1
            return False, None
        self._data.move_to_end(key)
        self.hits += 1
        return True, value

    def put(self, key: K, value: V | None) -> None:
        """Cache a value (hit TTL) or a miss, `None` (miss TTL; not stored when that is 0)."""
        ttl = self.hit_ttl if value is not None else self.miss_ttl
        if ttl <= 0:
            self._data.pop(key, None)
            return
        self._data[key] = (self._clock() + ttl, value)
        self._data.move_to_end(key)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)
