"""What a user's next message is expected to be: one step per user, for a limited time.

Multi-step commands (`/connect`: the handle, then the app password; `/import_directory`:
then the CSV file) say what they wait for here. It is held in memory on purpose: nothing
secret is kept, and after a restart the user simply runs the command again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Key = tuple[str, str]  # (platform, user id)


@dataclass(frozen=True)
class Pending:
    step: str
    deadline: float
    data: dict[str, Any] = field(default_factory=dict)


class PendingSteps:
    def __init__(self, ttl_s: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._steps: dict[Key, Pending] = {}

    def expect(self, key: Key, step: str, **data: Any) -> None:
        """The user's next message is `step` (replacing whatever was expected before)."""
        self._steps[key] = Pending(step, self._clock() + self.ttl_s, data)

    def current(self, key: Key) -> Pending | None:
        """What is expected, if the time is not up (expired steps are dropped)."""
        pending = self._steps.get(key)
        if pending is not None and self._clock() > pending.deadline:
            del self._steps[key]
            return None
        return pending

    def take(self, key: Key, step: str) -> Pending | None:
        """`step` if it is what is expected, consuming it; None otherwise."""
        pending = self.current(key)
        if pending is None or pending.step != step:
            return None
        del self._steps[key]
        return pending

    def done(self, key: Key) -> None:
        self._steps.pop(key, None)
