"""Exodus day (issue 13 §5): the highest arrival rate the scaled setup holds.

`bench_load.py --find-rate` runs the two-front-end, two-worker deployment (`run_scaled`,
a fresh PostgreSQL database and Redis each time) with users arriving at a steady rate
for `seconds`, and calls a rate *held* when every user got every reply (0 errors, no
process died) and the archive→summary p95 stayed under `P95_LIMIT_S`. It doubles the
rate from `start` until one is not held, then bisects `steps` times between the last
rate held and the first one not held. The same search runs on this branch and on the
baseline commit (checked out in a temporary worktree), one after the other.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scale_setup import OURS, baseline_tree

P95_LIMIT_S = 10.0

Trial = Callable[[Path, int, float], Awaitable["TrialResult"]]


@dataclass(frozen=True)
class TrialResult:
    rate: float  # users arriving per second
    users: int
    errors: int
    p95_s: float | None  # archive -> summary
    help_p95_s: float | None

    @property
    def held(self) -> bool:
        return self.errors == 0 and self.p95_s is not None and self.p95_s < P95_LIMIT_S


def p95(values: list[float]) -> float | None:
    if len(values) < 2:
        return values[0] if values else None
    return statistics.quantiles(values, n=100, method="inclusive")[94]


async def find_rate(
    trial: Trial, folder: Path, *, start: float, seconds: float, steps: int, ceiling: float
) -> list[TrialResult]:
    """Every trial run, in order; the highest held rate is the answer."""
    results: list[TrialResult] = []

    async def run(rate: float) -> TrialResult:
        users = max(2, round(rate * seconds))
        result = await trial(folder / f"rate-{len(results)}", users, users / rate)
        results.append(result)
        verdict = "held" if result.held else "not held"
        print(f"  {result.rate:.2f} users/s, {users} users: {result.errors} errors, "
              f"p95 {result.p95_s} s -> {verdict}", flush=True)  # fmt: skip
        return result

    low, high = 0.0, None
    rate = start
    while rate <= ceiling:
        if (await run(rate)).held:
            low, rate = rate, rate * 2
        else:
            high = rate
            break
    if high is not None:
        for _ in range(steps):
            middle = (low + high) / 2 if low else high / 2
            if (await run(middle)).held:
                low = middle
            else:
                high = middle
    return results


def best(results: list[TrialResult]) -> float:
    return max((r.rate for r in results if r.held), default=0.0)


def table(label: str, results: list[TrialResult]) -> list[str]:
    lines = []
    for r in sorted(results, key=lambda r: r.rate):
        shown = "–" if r.p95_s is None else f"{r.p95_s:.2f} s"
        help_shown = "–" if r.help_p95_s is None else f"{r.help_p95_s:.2f} s"
        lines.append(f"| {label} | {r.rate:.2f} | {r.users} | {r.errors} | {shown} "
                     f"| {help_shown} | {'yes' if r.held else 'no'} |")  # fmt: skip
    return lines


async def rate_search(args: argparse.Namespace, tmp: Path, run_scaled: Any) -> int:
    """`--find-rate`: the highest rate the scaled setup holds, this branch and the baseline."""
    found = []
    with baseline_tree(*filter(None, [args.baseline])) as base:
        for name, tree in (("ours", OURS), ("baseline", base)):
            print(f"{tree.label}:", flush=True)

            async def trial(folder: Path, users: int, ramp: float, code: Path = tree.root) -> Any:
                for attempt in (1, 2):  # a deployment that did not start is tried once more
                    try:
                        o = await run_scaled(folder / str(attempt), users, ramp,
                                             args.redis_url, code)  # fmt: skip
                        break
                    except RuntimeError as exc:
                        print(f"  attempt {attempt}: {exc}", flush=True)
                else:
                    return TrialResult(users / ramp, users, users, None, None)
                errors = len(o.results.errors) + len(o.notes)
                return TrialResult(users / ramp, users, errors, p95(o.results.summary_s),
                                   p95(o.results.help_s))  # fmt: skip

            results = await find_rate(trial, tmp / name, start=args.rate_start,
                                      seconds=args.rate_seconds, steps=args.rate_steps,
                                      ceiling=args.rate_max)  # fmt: skip
            found.append((tree.label, results))
    print("\n| code | users/s | users | errors | archive→summary p95 | /help p95 | held |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for label, results in found:
        print("\n".join(table(label, results)))
    for label, results in found:
        print(f"\n{label}: highest rate held {best(results):.2f} users/s "
              f"(0 errors, archive→summary p95 < {P95_LIMIT_S:.0f} s)")  # fmt: skip
    return 0
