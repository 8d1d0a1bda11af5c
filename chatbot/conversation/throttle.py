"""A per-user flood guard: a sliding window of events, so one user cannot starve others."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class Throttle:
    """Allow at most `limit` events per `window_s` seconds for each key.

    `check` answers "allowed", "warn" (the first refused event: tell the user once) or
    "drop" (later refused events, ignored silently until the window frees up).
    """

    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._events: dict[tuple[str, str], deque[float]] = {}
        self._warned: set[tuple[str, str]] = set()

    def check(self, key: tuple[str, str]) -> str:
        now = self._clock()
        events = self._events.setdefault(key, deque())
        while events and now - events[0] > self.window_s:
            events.popleft()
        if len(events) < self.limit:
            events.append(now)
            self._warned.discard(key)
            if len(self._events) > 10_000:
                self._prune(now)
            return "allowed"
        if key in self._warned:
            return "drop"
        self._warned.add(key)
        return "warn"

    def _prune(self, now: float) -> None:
        stale = [k for k, q in self._events.items() if not q or now - q[-1] > self.window_s]
        for key in stale:
            del self._events[key]
            self._warned.discard(key)
