"""Issue 13 §3: how fast each command starts and how much an idle bot holds, this branch
beside today's code (the baseline commit in a temporary worktree).

    .venv/bin/python bench/bench_start.py [--runs 10] [--no-baseline] [--quick]

* **wall**: the median (and best) wall time of `--runs` runs of a whole command, from
  `exec` to exit: `chatbot summary` and `chatbot match --offline` on a small archive
  (the load benchmark's: 300 followers, 400 following, 200 posts), `chatbot console`
  with an empty input (it starts, migrates a fresh SQLite database, and stops);
* **imports**: the import time the command pays (`python -X importtime`, the sum of
  the top-level imports, median of 3 runs), for the same commands and for `chatbot
  worker`'s module;
* **idle memory**: RSS of the bot process (and of the processes under it) 2 s after it
  is ready: the console (answered `/start`), `chatbot run` without credentials (the
  console too), and `chatbot run` in Telegram mode polling the Bot API emulator
  (ready when its `/readyz` says so).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from scale_setup import OURS, REPO, Tree, baseline_tree, descendants, rss_mb

sys.path.insert(0, str(REPO))

from load_setup import TOKEN, archive_paths, emulator

from tests.servers.process import free_port


def _env(tree: Tree, tmp: str, **extra: str) -> dict[str, str]:
    return tree.env(CHATBOT_DATA_DIR=tmp, CHATBOT_MATCHING_OFFLINE="true", **extra)


def wall(tree: Tree, args: list[str], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
            started = time.perf_counter()
            subprocess.run(tree.argv(*args), input="", text=True, cwd=tmp, check=True,
                           capture_output=True, env=_env(tree, tmp))  # fmt: skip
            times.append(time.perf_counter() - started)
    return statistics.median(times), min(times)


def import_ms(tree: Tree, code: str, runs: int = 3) -> float:
    """The imports a command pays: the sum of `-X importtime`'s top-level cumulative
    times, the median of `runs` runs."""
    found = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
            done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], input="",
                                  text=True, cwd=tmp, capture_output=True, check=True,
                                  env=_env(tree, tmp))  # fmt: skip
        total = 0
        for line in done.stderr.splitlines():
            if line.startswith("import time:") and not line.split("|")[2].startswith("  "):
                with contextlib.suppress(ValueError, IndexError):
                    total += int(line.split("|")[1])
        found.append(total / 1000)
    return statistics.median(found)


def _tree_mb(pid: int) -> tuple[float, float]:
    return rss_mb(pid), sum(rss_mb(p) for p in [pid, *descendants(pid)])


def idle_console(tree: Tree, command: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
        proc = subprocess.Popen(tree.argv(command), stdin=subprocess.PIPE, text=True, cwd=tmp,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                env=tree.env(CHATBOT_DATA_DIR=tmp))  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("/start\n")
        proc.stdin.flush()
        while "Bluesky" not in (line := proc.stdout.readline()):
            if not line:
                raise RuntimeError(f"{tree.label}: chatbot {command} ended before answering")
        time.sleep(2)
        sizes = _tree_mb(proc.pid)
        proc.stdin.close()
        proc.wait(timeout=60)
    return sizes


async def idle_telegram(tree: Tree) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
        folder = Path(tmp)
        (folder / "emulator").mkdir()
        async with emulator(folder / "emulator") as (root, _world):
            port = free_port()
            env = tree.env(CHATBOT_DATA_DIR=tmp, CHATBOT_TELEGRAM_TOKEN=TOKEN,
                           CHATBOT_TELEGRAM_API_URL=root, CHATBOT_OPS_PORT=str(port),
                           CHATBOT_LOG_LEVEL="WARNING")  # fmt: skip
            quiet = subprocess.DEVNULL
            proc = await asyncio.to_thread(subprocess.Popen, tree.argv("run"), cwd=tmp, env=env,
                                           stdout=quiet, stderr=quiet)  # fmt: skip
            try:
                async with aiohttp.ClientSession() as http:
                    for _ in range(300):
                        with contextlib.suppress(aiohttp.ClientError):
                            ready = f"http://127.0.0.1:{port}/readyz"
                            async with http.get(ready) as answer:
                                if answer.status == 200:
                                    break
                        await asyncio.sleep(0.2)
                await asyncio.sleep(2)
                return _tree_mb(proc.pid)
            finally:
                proc.terminate()
                await asyncio.to_thread(proc.wait, 30)


def measure(tree: Tree, small: Path, runs: int) -> list[str]:
    summary = ["summary", str(small)]
    match = ["match", "--offline", str(small)]
    rows = []
    for label, args in (("summary", summary), ("match --offline", match),
                        ("console (empty input)", ["console"])):  # fmt: skip
        median, best = wall(tree, args, runs)
        code = f"from chatbot.cli import main; main({args!r})"
        rows.append(f"| `chatbot {label}` | {tree.label} | {median:.2f} s (best {best:.2f}) "
                    f"| {import_ms(tree, code):.0f} ms |")  # fmt: skip
    worker = import_ms(tree, "import chatbot.queue.worker")
    rows.append(f"| `chatbot worker` (its module) | {tree.label} | – | {worker:.0f} ms |")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="3 runs per command")
    parser.add_argument("--baseline", default=None, help="commit of today's code")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.runs = 3
    small = archive_paths(1)[0]
    starts, memory = [], []
    with contextlib.ExitStack() as stack:
        trees = [OURS]
        if not args.no_baseline:
            trees.append(stack.enter_context(baseline_tree(*filter(None, [args.baseline]))))
        for tree in trees:
            starts += measure(tree, small, args.runs)
            for label, sizes in (
                ("console", idle_console(tree, "console")),
                ("`chatbot run`, no credentials (console)", idle_console(tree, "run")),
                ("`chatbot run`, Telegram (Bot API emulator)", asyncio.run(idle_telegram(tree))),
            ):
                memory.append(
                    f"| {label} | {tree.label} | {sizes[0]:.0f} MB | {sizes[1]:.0f} MB |"
                )
    print("| command | code | wall (median of runs) | imports |\n|---|---|---:|---:|")
    print("\n".join(sorted(starts, key=lambda row: row.split("|")[1])))
    print("\n| idle bot | code | RSS of the bot process | with the processes under it |")
    print("|---|---|---:|---:|")
    print("\n".join(sorted(memory, key=lambda row: row.split("|")[1])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
