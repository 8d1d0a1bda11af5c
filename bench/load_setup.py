"""The load bench's deployment: bot processes and their memory, the databases, the Bot
API emulator and the round-robin proxy in front of the front ends (`bench_load.py`)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402
import asyncpg  # type: ignore[import-untyped]  # noqa: E402
from aiohttp import web  # noqa: E402

from devtools.archivegen import ArchiveSpec, generate  # noqa: E402
from devtools.botapi_emulator.server import build_app  # noqa: E402
from devtools.botapi_emulator.state import WORLD, World  # noqa: E402
from tests.servers.process import descendants, free_port  # noqa: E402

TOKEN = "4242424242:AAE2e-Bench_TokenDoNotLog-xyz"
BOT = "xmigration_bench_bot"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
CACHE = Path(os.environ.get("BENCH_CACHE") or REPO / ".cache" / "bench") / "load"
LOG_LEVEL = os.environ.get("BENCH_LOG_LEVEL", "WARNING")  # of the bot processes


def archives(count: int) -> list[tuple[str, bytes]]:
    """`count` small era-H archives: (file name, content)."""
    return [(path.name, path.read_bytes()) for path in archive_paths(count)]


def archive_paths(count: int) -> list[Path]:
    """`count` small era-H archives (cached): 200 tweets, 300 followers, 400 following."""
    CACHE.mkdir(parents=True, exist_ok=True)
    ignore = REPO / ".cache" / ".gitignore"
    if not os.environ.get("BENCH_CACHE") and not ignore.exists():
        ignore.write_text("*\n")
    paths = []
    for seed in range(1, count + 1):
        path = CACHE / f"twitter-load-{seed}.zip"
        if not path.exists():
            spec = ArchiveSpec(era="H", tweets=200, followers=300, following=400, seed=seed)
            generate(spec, path)
        paths.append(path)
    return paths


@dataclass
class BotProcess:
    role: str
    popen: subprocess.Popen[bytes]
    ops: str
    log: Path
    children: dict[int, float] = field(default_factory=dict)  # pid -> VmHWM seen (MB)

    def sample(self) -> None:
        """Note the VmHWM of the descendants (parser processes are replaced over time)."""
        for pid in descendants(self.popen.pid):
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


def start_bot(
    role: str, command: str, env: dict[str, str], folder: Path, code: Path = REPO
) -> BotProcess:
    """`chatbot COMMAND` from the code at `code` (this checkout, or another commit's)."""
    ops_port = free_port()
    full = {k: v for k, v in os.environ.items() if not k.startswith("CHATBOT_")}
    full.pop("DATABASE_URL", None)
    full.update(env, CHATBOT_OPS_PORT=str(ops_port), CHATBOT_LOG_LEVEL=LOG_LEVEL, LANG="C.UTF-8")
    full["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), full.get("PYTHONPATH")]))
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


def _sample_all(bots: list[BotProcess]) -> None:
    for bot in bots:
        bot.sample()


async def sample_memory(bots: list[BotProcess]) -> None:
    while True:
        await asyncio.to_thread(_sample_all, bots)
        await asyncio.sleep(1.0)


def exited(bots: list[BotProcess]) -> list[str]:
    """The bot processes that ended during the run (a crash: none should)."""
    return [f"{b.role} exited ({b.popen.poll()})" for b in bots if b.popen.poll() is not None]


async def stop_all(bots: list[BotProcess]) -> None:
    """SIGTERM to each, without blocking the loop: the emulator here must still answer."""
    await asyncio.gather(*(asyncio.to_thread(bot.stop) for bot in bots))
