"""The Bluesky points budget: pure arithmetic on a clock the caller passes in.

Every record write costs points (a create: 3) against two fixed windows per account:
5,000 points per hour and 35,000 per day (platform-limits §3.1), each starting at its
first use. The budget keeps to ``headroom`` of both (default 80 %, leaving the rest to the
user's own posts and likes), paces the hourly share evenly over the hour (a token bucket
of one batch) instead of bursting at the start of each window, and is corrected by the
``RateLimit-*`` headers the server returns and by 429 answers. Its state is a small dict
kept in the job's checkpoint, so a restart does not forget the points already spent.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

HOUR_S = 3600.0
DAY_S = 86400.0
HOUR_POINTS = 5000
DAY_POINTS = 35000
CREATE_POINTS = 3
MAX_BATCH = 200  # applyWrites accepts at most 200 writes


def estimate_hours(writes: int, headroom: float = 0.8) -> float:
    """How long `writes` creates take within both windows (the daily cap included)."""
    points = writes * CREATE_POINTS
    day_cap, hour_cap = DAY_POINTS * headroom, HOUR_POINTS * headroom
    days, rest = divmod(points, day_cap)
    return days * 24 + rest / hour_cap


@dataclass
class Window:
    """A fixed window that starts at its first use, like the PDS's rate limiter."""

    length_s: float
    cap: int  # points allowed in one window, after headroom
    start: float | None = None
    used: int = 0

    def roll(self, now: float) -> None:
        if self.start is not None and now >= self.start + self.length_s:
            self.start, self.used = None, 0

    def room(self, now: float) -> int:
        self.roll(now)
        return self.cap - self.used

    def resets_at(self, now: float) -> float:
        return now if self.start is None else self.start + self.length_s

    def spend(self, now: float, points: int) -> None:
        self.roll(now)
        if self.start is None:
            self.start = now
        self.used += points


@dataclass
class ServerView:
    """What the server last said: RateLimit-Limit/Remaining/Reset, or a 429."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None


@dataclass
class Plan:
    writes: int  # send this many creates now (0: wait)
    wait_s: float  # sleep this long, then plan again


@dataclass
class PointsBudget:
    headroom: float = 0.8
    hour_points: int = HOUR_POINTS
    day_points: int = DAY_POINTS
    points_per_write: int = CREATE_POINTS
    max_batch: int = MAX_BATCH
    pace: bool = True
    hour: Window = field(init=False)
    day: Window = field(init=False)
    server: ServerView = field(default_factory=ServerView)
    tokens: float = 0.0  # the pacing bucket, in points (full while tokens_at is None)
    tokens_at: float | None = None

    def __post_init__(self) -> None:
        if not 0 < self.headroom <= 1:
            raise ValueError("headroom must be in (0, 1]")
        self.max_batch = max(1, min(self.max_batch, MAX_BATCH))
        self.hour = Window(HOUR_S, math.floor(self.hour_points * self.headroom))
        self.day = Window(DAY_S, math.floor(self.day_points * self.headroom))

    # -- pacing ----------------------------------------------------------------------------

    @property
    def _rate(self) -> float:
        return self.hour.cap / HOUR_S  # points per second

    @property
    def _burst(self) -> float:
        return float(self.max_batch * self.points_per_write)

    def _bucket(self, now: float) -> float:
        if self.tokens_at is None:
            return self._burst
        return min(self._burst, self.tokens + (now - self.tokens_at) * self._rate)

    # -- the plan --------------------------------------------------------------------------

    def _server_room(self, now: float) -> int | None:
        view = self.server
        if view.remaining is None or view.reset_at is None or now >= view.reset_at:
            return None
        reserve = math.ceil((view.limit or 0) * (1 - self.headroom))
        return view.remaining - reserve

    def plan(self, now: float, wanted: int) -> Plan:
        """How many of `wanted` creates to send now, or how long to wait."""
        if wanted <= 0:
            return Plan(0, 0.0)
        ppw = self.points_per_write
        target = min(wanted, self.max_batch)
        rooms = [(self.hour.room(now), self.hour.resets_at(now))]
        rooms.append((self.day.room(now), self.day.resets_at(now)))
        server_room = self._server_room(now)
        if server_room is not None and self.server.reset_at is not None:
            rooms.append((server_room, self.server.reset_at))
        fits = min(target, *(room // ppw for room, _ in rooms))
        if fits <= 0:
            blocked = [reset for room, reset in rooms if room < ppw]
            return Plan(0, max(1.0, max(blocked) - now))
        if self.pace:
            missing = fits * ppw - self._bucket(now)
            if missing > 1e-9:
                return Plan(0, missing / self._rate)
        return Plan(fits, 0.0)

    def spend(self, now: float, writes: int) -> None:
        """Count `writes` creates sent at `now` (also when the server refused them)."""
        points = writes * self.points_per_write
        self.hour.spend(now, points)
        self.day.spend(now, points)
        if self.pace:
            self.tokens = max(0.0, self._bucket(now) - points)
            self.tokens_at = now
        if self.server.remaining is not None:
            self.server.remaining -= points

    # -- corrections from the server -------------------------------------------------------

    def observe(self, now: float, headers: dict[str, str]) -> None:
        """Apply RateLimit-Limit/-Remaining/-Reset (epoch seconds or delta seconds)."""
        lowered = {key.lower(): value for key, value in headers.items()}
        try:
            limit = int(lowered["ratelimit-limit"])
            remaining = int(lowered["ratelimit-remaining"])
            reset = float(lowered["ratelimit-reset"])
        except (KeyError, ValueError):
            return
        reset_at = reset if reset > 1e9 else now + reset
        if reset > 1e9 and reset_at < now:  # clock skew: never trust a reset in the past
            reset_at = now + 1.0
        self.server = ServerView(limit, max(0, remaining), reset_at)

    def rate_limited(self, now: float, headers: dict[str, str]) -> float:
        """A 429: nothing is left until the reset; the seconds to wait."""
        self.observe(now, headers)
        reset_at = self.server.reset_at if self.server.reset_at is not None else now + HOUR_S / 4
        self.server = ServerView(self.server.limit, 0, max(reset_at, now + 1.0))
        return self.server.reset_at - now if self.server.reset_at is not None else HOUR_S / 4

    # -- persistence -----------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {
            "hour": asdict(self.hour),
            "day": asdict(self.day),
            "server": asdict(self.server),
            "tokens": self.tokens,
            "tokens_at": self.tokens_at,
        }

    def restore(self, state: dict[str, Any] | None) -> PointsBudget:
        if not state:
            return self
        for name in ("hour", "day"):
            saved = state.get(name) or {}
            window: Window = getattr(self, name)
            window.start, window.used = saved.get("start"), int(saved.get("used", 0))
        self.server = ServerView(**(state.get("server") or {}))
        self.tokens = float(state.get("tokens", 0.0))
        self.tokens_at = state.get("tokens_at")
        return self
