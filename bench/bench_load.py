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
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402
import asyncpg  # type: ignore[import-untyped]  # noqa: E402
from aiohttp import web  # noqa: E402
from redis.asyncio import Redis  # noqa: E402

from chatbot.devtools.archivegen import ArchiveSpec, generate  # noqa: E402
from chatbot.devtools.botapi_emulator.server import build_app  # noqa: E402
from chatbot.devtools.botapi_emulator.state import WORLD, World  # noqa: E402
from chatbot.i18n import translator  # noqa: E402
from tests.servers.process import free_port  # noqa: E402

TOKEN = "4242424242:AAE2e-Bench_TokenDoNotLog-xyz"
BOT = "xmigration_bench_bot"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
CACHE = REPO / ".cache" / "bench" / "load"
REPLY_TIMEOUT_S = 120.0
FIRST_USER_ID = 700_001
EN = translator("en")
ERROR_TEXTS = (
    EN("error.internal", reference="\0").split("\0")[0],
    EN("error.unavailable"),
    EN("error.slow_down", seconds=0).split("0")[0],
    EN("upload.busy"),
    EN("upload.download_failed"),
    EN("match.found.failed"),
)
Message = dict[str, Any]
LOG_LEVEL = os.environ.get("BENCH_LOG_LEVEL", "WARNING")  # of the bot processes


def archives(count: int) -> list[tuple[str, bytes]]:
    """`count` small era-H archives (cached): 200 tweets, 300 followers, 400 following."""
    CACHE.mkdir(parents=True, exist_ok=True)
    ignore = REPO / ".cache" / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    paths = []
    for seed in range(1, count + 1):
        path = CACHE / f"twitter-load-{seed}.zip"
        if not path.exists():
            spec = ArchiveSpec(era="H", tweets=200, followers=300, following=400, seed=seed)
            generate(spec, path)
        paths.append((path.name, path.read_bytes()))
    return paths


# --- the processes -------------------------------------------------------------------------


@dataclass
class BotProcess:
    role: str
    popen: subprocess.Popen[bytes]
    ops: str
    log: Path
    children: dict[int, float] = field(default_factory=dict)  # pid -> VmHWM seen (MB)

    def sample(self) -> None:
        """Note the VmHWM of the descendants (parser processes are replaced over time)."""
        for pid in _descendants(self.popen.pid):
            self.children[pid] = max(self.children.get(pid, 0.0), _hwm_mb(pid))

    def peak_rss_mb(self) -> tuple[float, list[float]]:
        """VmHWM of the process and of each descendant seen during the run."""
        self.sample()
        return _hwm_mb(self.popen.pid), [mb for mb in self.children.values() if mb > 0]

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)


def _hwm_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children.get(child, []))
    return found


def start_bot(role: str, command: str, env: dict[str, str], folder: Path) -> BotProcess:
    ops_port = free_port()
    full = {k: v for k, v in os.environ.items() if not k.startswith("CHATBOT_")}
    full.pop("DATABASE_URL", None)
    full.update(env, CHATBOT_OPS_PORT=str(ops_port), CHATBOT_LOG_LEVEL=LOG_LEVEL, LANG="C.UTF-8")
    full["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), full.get("PYTHONPATH")]))
    log = folder / f"{role.replace(' ', '-')}.log"
    chatbot = Path(sys.executable).with_name("chatbot")
    popen = subprocess.Popen(
        [str(chatbot), command],
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        env=full,
        cwd=folder,  # no stray .env
    )
    return BotProcess(role, popen, f"http://127.0.0.1:{ops_port}", log)


async def wait_ready(bots: list[BotProcess]) -> None:
    deadline = time.monotonic() + 90
    async with aiohttp.ClientSession() as http:
        for bot in bots:
            while True:
                if bot.popen.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{bot.role} did not start, see its log {bot.log}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(bot.ops + "/readyz") as response:
                        if response.status == 200:
                            break
                await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def database(name: str) -> AsyncIterator[str]:
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@contextlib.asynccontextmanager
async def emulator(folder: Path) -> AsyncIterator[tuple[str, World]]:
    app = build_app(folder, bot_username=BOT, allow_http_webhook=True, webhook_retry_s=0.2)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1, handler_cancellation=True)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", app[WORLD]
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def round_robin_proxy(port: int, backends: list[str]) -> AsyncIterator[dict[str, int]]:
    """A tiny load balancer: each POST to the next backend (the next one if it is down)."""
    turn = itertools.count()
    stats = {"forwarded": 0, "failed": 0}
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-")}
        headers["Content-Type"] = request.content_type
        start = next(turn)
        for attempt in range(len(backends)):
            target = backends[(start + attempt) % len(backends)] + request.path
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.post(target, data=body, headers=headers) as answer:
                    stats["forwarded"] += 1
                    return web.Response(status=answer.status, body=await answer.read())
        stats["failed"] += 1
        return web.Response(status=502)

    app = web.Application()
    app.router.add_post("/{tail:.*}", forward)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield stats
    finally:
        await runner.cleanup()
        await session.close()


# --- the simulated users --------------------------------------------------------------------


@dataclass
class Results:
    help_s: list[float] = field(default_factory=list)
    summary_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def text_of(message: Message) -> str:
    return str(message.get("text") or message.get("caption") or "")


class Users:
    def __init__(self, root: str, world: World, http: aiohttp.ClientSession) -> None:
        self.root, self.world, self.http = root, world, http
        self.results = Results()

    def _bot_messages(self, chat_id: int, after: int) -> list[Message]:
        chat = self.world.chats.get(chat_id)
        if chat is None:
            return []
        return [
            m
            for number, m in chat.messages.items()
            if number > after and self.world.is_from_bot(m) and number not in chat.deleted
        ]

    async def _reply(self, chat_id: int, after: int, test: Callable[[str], bool]) -> float:
        """Wait for a bot message after `after` whose text passes `test`; its arrival time."""

        def found() -> bool:
            return any(test(text_of(m)) for m in self._bot_messages(chat_id, after))

        async with self.world.changed:
            await asyncio.wait_for(self.world.changed.wait_for(found), REPLY_TIMEOUT_S)
        return time.perf_counter()

    def _user(self, user_id: int) -> dict[str, Any]:
        return {"id": user_id, "first_name": f"User {user_id}", "language_code": "en"}

    async def _send(self, user_id: int, text: str) -> tuple[int, float]:
        payload = {"user": self._user(user_id), "text": text}
        sent = time.perf_counter()
        async with self.http.post(self.root + "/_test/message", json=payload) as response:
            body = await response.json()
        if not body.get("ok"):
            raise RuntimeError(f"HTTP {response.status}: {body}")
        return int(body["message"]["message_id"]), sent

    async def _send_file(self, user_id: int, archive: tuple[str, bytes]) -> tuple[int, float]:
        name, data = archive
        form = aiohttp.FormData()
        form.add_field("user", json.dumps(self._user(user_id)))
        form.add_field("document", data, filename=name, content_type="application/zip")
        sent = time.perf_counter()
        async with self.http.post(self.root + "/_test/document", data=form) as response:
            body = await response.json()
        if not body.get("ok"):
            raise RuntimeError(f"HTTP {response.status}: {body}")
        return int(body["message"]["message_id"]), sent

    async def run(self, user_id: int, archive: tuple[str, bytes], seed: int) -> None:
        title = f"Archive of @alice_{seed}"
        step = "/start"
        try:
            number, _ = await self._send(user_id, "/start")
            await self._reply(user_id, number, lambda t: t == EN("start.welcome"))
            step = "/help"
            number, sent = await self._send(user_id, "/help")
            self.results.help_s.append(
                await self._reply(user_id, number, lambda t: EN("help.title") in t) - sent
            )
            step = "archive"
            number, sent = await self._send_file(user_id, archive)
            self.results.summary_s.append(
                await self._reply(user_id, number, lambda t: title in t) - sent
            )
            step = "/summary"
            number, _ = await self._send(user_id, "/summary")
            await self._reply(user_id, number, lambda t: title in t)
        except TimeoutError:
            self.results.errors.append(f"user {user_id}: no reply to {step} in 120 s")
        except (aiohttp.ClientError, RuntimeError) as exc:
            self.results.errors.append(f"user {user_id}: {step}: {exc}")

    def error_replies(self, user_ids: list[int]) -> list[str]:
        found = []
        for user_id in user_ids:
            for message in self._bot_messages(user_id, 0):
                text = text_of(message)
                if any(needle in text for needle in ERROR_TEXTS):
                    found.append(f"user {user_id}: {text[:100]!r}")
        return found


def _sample_all(bots: list[BotProcess]) -> None:
    for bot in bots:
        bot.sample()


async def sample_memory(bots: list[BotProcess]) -> None:
    while True:
        await asyncio.to_thread(_sample_all, bots)
        await asyncio.sleep(1.0)


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


def exited(bots: list[BotProcess]) -> list[str]:
    """The bot processes that ended during the run (a crash: none should)."""
    return [f"{b.role} exited ({b.popen.poll()})" for b in bots if b.popen.poll() is not None]


async def _stop_all(bots: list[BotProcess]) -> None:
    """SIGTERM to each, without blocking the loop: the emulator here must still answer."""
    await asyncio.gather(*(asyncio.to_thread(bot.stop) for bot in bots))


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
            await _stop_all(bots)
    return Outcome("1 process (polling, no Redis)", users, results, elapsed, memory, crashed)


async def run_scaled(tmp: Path, users: int, ramp_s: float, redis_url: str) -> Outcome:
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
                bots.append(start_bot(f"front end {n}", "run", fe_env, tmp / "data"))
            for n in (1, 2):
                bots.append(start_bot(f"worker {n}", "worker", env, tmp / "data"))
            await wait_ready(bots)
            results, elapsed = await drive(root, world, users, ramp_s, bots)
            memory = [(b.role, *b.peak_rss_mb()) for b in bots]
            notes = exited(bots)
            if proxy["failed"]:
                notes.append(f"proxy: {proxy['failed']} webhook posts found no front end")
        finally:
            await _stop_all(bots)
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
    args = parser.parse_args()
    users, ramp = (20, 10.0) if args.quick else (args.users, args.ramp)
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    outcomes = []
    try:
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
