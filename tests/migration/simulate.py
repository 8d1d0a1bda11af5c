"""A simulated PDS rate limiter (fixed windows from first use) and a budget run on a fake clock.

Used by the budget tests and by ``bench/bench_follow.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chatbot.migration.budget import DAY_S, HOUR_S, PointsBudget


@dataclass
class FixedWindow:
    length: float
    limit: int
    start: float | None = None
    used: int = 0

    def take(self, now: float, points: int) -> bool:
        if self.start is None or now >= self.start + self.length:
            self.start, self.used = now, 0
        self.used += points  # counted even when refused (platform-limits §3.1)
        return self.used <= self.limit

    def headers(self, now: float) -> dict[str, str]:
        assert self.start is not None
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(max(0, self.limit - self.used)),
            "RateLimit-Reset": str(int(self.start + self.length - now) + 1),
        }


@dataclass
class SimulatedPds:
    hour: FixedWindow = field(default_factory=lambda: FixedWindow(HOUR_S, 5000))
    day: FixedWindow = field(default_factory=lambda: FixedWindow(DAY_S, 35000))
    rejected: int = 0
    log: list[tuple[float, int]] = field(default_factory=list)  # (time, points) accepted

    def apply_writes(self, now: float, writes: int) -> tuple[bool, dict[str, str]]:
        points = writes * 3
        ok_hour = self.hour.take(now, points)
        ok_day = self.day.take(now, points)
        hour_left = self.hour.limit - self.hour.used
        tight = self.hour if hour_left <= self.day.limit - self.day.used else self.day
        headers = (
            tight if ok_hour and ok_day else (self.hour if not ok_hour else self.day)
        ).headers(now)
        if not (ok_hour and ok_day):
            self.rejected += 1
            return False, headers
        self.log.append((now, points))
        return True, headers


def run(
    budget: PointsBudget, follows: int, server: SimulatedPds, *, other_points: int = 0
) -> float:
    """Follow `follows` accounts against `server`; the simulated seconds it took."""
    now, left = 0.0, follows
    if other_points:  # the user's own activity before the job, in the same windows
        server.hour.take(now, other_points)
        server.day.take(now, other_points)
    while left:
        plan = budget.plan(now, left)
        if plan.writes == 0:
            now += plan.wait_s
            continue
        budget.spend(now, plan.writes)
        ok, headers = server.apply_writes(now, plan.writes)
        if not ok:
            now += budget.rate_limited(now, headers)
            continue
        budget.observe(now, headers)
        left -= plan.writes
        now += 0.2  # the request itself
    return now


def max_sliding(log: list[tuple[float, int]], length: float) -> int:
    """The most points accepted in any window of `length` seconds."""
    best, start, total = 0, 0, 0
    for end in range(len(log)):
        total += log[end][1]
        while log[end][0] - log[start][0] >= length:
            total -= log[start][1]
            start += 1
        best = max(best, total)
    return best


def per_hour(log: list[tuple[float, int]]) -> list[int]:
    hours = [0] * (int(max((t for t, _ in log), default=0) // HOUR_S) + 1)
    for moment, points in log:
        hours[int(moment // HOUR_S)] += points
    return hours
