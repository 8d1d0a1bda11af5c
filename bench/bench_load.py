"""Load (issue 7 §5): simulated Telegram users against 2 front ends and 2 workers on
PostgreSQL and Redis, and, as the baseline in the same run, against one `chatbot run`
process (long polling, no Redis) on its own PostgreSQL database.

Each user, started on a ramp: `/start`, `/help` (reply latency of a simple command), a
small generated archive (time until the summary is in the chat), `/summary`. Errors: a
reply with an error text, a reply missing after 120 s, an HTTP error. Peak memory is
`VmHWM` of each bot process and of the parser processes it started.

The Bot API emulator runs in this process: the driver sends over its HTTP control API and
sees replies appear in its state directly (no polling). In the scaled setup the emulator's
webhook points at a round-robin proxy (also here) in front of the two front ends.

Usage:
    .venv/bin/python bench/bench_load.py [--users 200] [--ramp 60]
    .venv/bin/python bench/bench_load.py --quick    # 20 users over 10 s
    .venv/bin/python bench/bench_load.py --find-rate [--rate-start 1] [--rate-seconds 60]
        # the highest arrival rate the scaled setup holds, beside the baseline (load_rate.py)
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402
from load_rate import rate_search  # noqa: E402
from load_setup import (  # noqa: E402
    TOKEN,
    BotProcess,
    archives,
    database,
    emulator,
    exited,
    round_robin_proxy,
    sample_memory,
    start_bot,
    stop_all,
    wait_ready,
)
from load_users import FIRST_USER_ID, Results, Users  # noqa: E402
from redis.asyncio import Redis  # noqa: E402

from devtools.botapi_emulator.state import World  # noqa: E402
from tests.servers.process import free_port  # noqa: E402


async def drive(
    root: str, world: World, users: int, ramp_s: float, bots: list[BotProcess]
) -> tuple[Results, float]:
    paths = archives(users)
    ids = [FIRST_USER_ID + n for n in range(users)]
    connector = aiohttp.TCPConnector(limit=50)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=60)
    ) as http:
        driver = Users(root, world, http)
        start = time.perf_counter()

        async def one(n: int) -> None:
            await asyncio.sleep(n * ramp_s / users)
            await driver.run(ids[n], paths[n], n + 1)

        sampler = asyncio.create_task(sample_memory(bots))
        await asyncio.gather(*(one(n) for n in range(users)))
        elapsed = time.perf_counter() - start
        sampler.cancel()
        await asyncio.sleep(3)  # late replies (matching results) are checked too
        driver.results.errors += driver.error_replies(ids)
    return driver.results, elapsed


# --- the two setups ------------------------------------------------------------------------


@dataclass
class Outcome:
    setup: str
    users: int
    results: Results
    elapsed_s: float
    memory: list[tuple[str, float, list[float]]]
    notes: list[str] = field(default_factory=list)


async def run_single(tmp: Path, users: int, ramp_s: float) -> Outcome:
    (tmp / "emulator").mkdir(parents=True)
    (tmp / "data").mkdir()
    async with database("bench_load_single") as url, emulator(tmp / "emulator") as (root, world):
        env = {
            "DATABASE_URL": url,
            "CHATBOT_DATA_DIR": str(tmp / "data"),
            "CHATBOT_TELEGRAM_TOKEN": TOKEN,
            "CHATBOT_TELEGRAM_API_URL": root,
            "CHATBOT_MATCHING_OFFLINE": "true",
        }
        bots = [start_bot("single process", "run", env, tmp / "data")]
        try:
            await wait_ready(bots)
            results, elapsed = await drive(root, world, users, ramp_s, bots)
            memory = [(b.role, *b.peak_rss_mb()) for b in bots]
            crashed = exited(bots)
        finally:
            await stop_all(bots)
    return Outcome("1 process (polling, no Redis)", users, results, elapsed, memory, crashed)


async def run_scaled(
    tmp: Path, users: int, ramp_s: float, redis_url: str, code: Path = REPO
) -> Outcome:
    """2 front ends and 2 workers running the code at `code` (this checkout by default)."""
    (tmp / "emulator").mkdir(parents=True)
    (tmp / "data").mkdir()
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    proxy_port = free_port()
    fe_ports = [free_port(), free_port()]
    path = "/telegram/hook"
    async with (
        database("bench_load_scaled") as url,
        emulator(tmp / "emulator") as (root, world),
        round_robin_proxy(proxy_port, [f"http://127.0.0.1:{p}" for p in fe_ports]) as proxy,
    ):
        env = {
            "DATABASE_URL": url,
            "CHATBOT_REDIS_URL": redis_url,
            "CHATBOT_DATA_DIR": str(tmp / "data"),
            "CHATBOT_TELEGRAM_TOKEN": TOKEN,
            "CHATBOT_TELEGRAM_API_URL": root,
            "CHATBOT_MATCHING_OFFLINE": "true",
            "CHATBOT_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{proxy_port}{path}",
        }
        bots = []
        try:
            for n, port in enumerate(fe_ports, 1):
                fe_env = {**env, "CHATBOT_TELEGRAM_WEBHOOK_PORT": str(port)}
                bots.append(start_bot(f"front end {n}", "run", fe_env, tmp / "data", code))
            for n in (1, 2):
                bots.append(start_bot(f"worker {n}", "worker", env, tmp / "data", code))
            await wait_ready(bots)
            results, elapsed = await drive(root, world, users, ramp_s, bots)
            memory = [(b.role, *b.peak_rss_mb()) for b in bots]
            notes = exited(bots)
            if proxy["failed"]:
                notes.append(f"proxy: {proxy['failed']} webhook posts found no front end")
        finally:
            await stop_all(bots)
            await redis.flushdb()
            await redis.aclose()
    return Outcome("2 front ends + 2 workers (webhook, Redis)", users, results, elapsed,
                   memory, notes)  # fmt: skip


# --- the report ----------------------------------------------------------------------------


def _pct(values: list[float], q: int) -> str:
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.2f} s"
    return f"{statistics.quantiles(values, n=100, method='inclusive')[q - 1]:.2f} s"


def _memory(outcome: Outcome) -> str:
    parts = []
    for role, main, children in outcome.memory:
        extra = f" (children ≤ {max(children):.0f}, {len(children)} seen)" if children else ""
        parts.append(f"{role}: {main:.0f}{extra}")
    return "; ".join(parts) + " MB"


def report(outcomes: list[Outcome]) -> None:
    print(
        "| setup | users | errors | /help p50 | /help p95 | archive→summary p50 | p95 "
        "| peak RSS per process (VmHWM) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for o in outcomes:
        r = o.results
        print(
            f"| {o.setup} | {o.users} | {len(r.errors)} | {_pct(r.help_s, 50)} "
            f"| {_pct(r.help_s, 95)} | {_pct(r.summary_s, 50)} | {_pct(r.summary_s, 95)} "
            f"| {_memory(o)} |"
        )
    for o in outcomes:
        print(f"\n{o.setup}: all users done in {o.elapsed_s:.1f} s")
        for line in o.notes + o.results.errors[:20]:
            print(f"  - {line}")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--ramp", type=float, default=60.0, help="seconds to start all users")
    parser.add_argument("--quick", action="store_true", help="20 users over 10 s")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--only", choices=("single", "scaled"), help="run one setup")
    parser.add_argument("--keep", action="store_true", help="keep the logs folder")
    rates = parser.add_argument_group("--find-rate: the highest arrival rate held (issue 13)")
    rates.add_argument("--find-rate", action="store_true", help="search it, and the baseline's")
    rates.add_argument("--rate-start", type=float, default=1.0, help="users per second")
    rates.add_argument("--rate-seconds", type=float, default=60.0, help="arrivals per trial")
    rates.add_argument("--rate-steps", type=int, default=3, help="bisection steps")
    rates.add_argument("--rate-max", type=float, default=32.0, help="users per second")
    rates.add_argument("--baseline", default=None, help="commit of today's code")
    args = parser.parse_args()
    users, ramp = (20, 10.0) if args.quick else (args.users, args.ramp)
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    outcomes = []
    try:
        if args.find_rate:
            return await rate_search(args, tmp, run_scaled)
        if args.only != "single":
            outcomes.append(await run_scaled(tmp / "scaled", users, ramp, args.redis_url))
        if args.only != "scaled":
            outcomes.append(await run_single(tmp / "single", users, ramp))
    finally:
        if args.keep:
            print(f"logs: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print()
    report(outcomes)
    return 1 if any(o.results.errors or o.notes for o in outcomes) else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
