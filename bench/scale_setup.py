"""What the issue-13 benchmarks share: the code of another commit in a temporary git
worktree (today's code, measured in the same run), process-tree memory and CPU sampled
from /proc, and the cache of generated inputs.

The baseline is a detached worktree of `BASELINE` (the commit before issue 13's work)
under /tmp; a command runs there by putting that worktree first on `PYTHONPATH`, with
the same virtual environment.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.servers.process import descendants  # noqa: E402

BASELINE = "88b55dc"  # the code before issue 13 (bulk matching, lazy imports, fast uploads)
PYTHON = sys.executable
TICK = os.sysconf("SC_CLK_TCK")


def cache_dir(name: str) -> Path:
    """Generated inputs, kept between runs: $BENCH_CACHE, else .cache/bench (git-ignored)."""
    root = Path(os.environ.get("BENCH_CACHE") or REPO / ".cache" / "bench")
    if not os.environ.get("BENCH_CACHE"):
        ignore = REPO / ".cache" / ".gitignore"
        if not ignore.exists():
            ignore.parent.mkdir(parents=True, exist_ok=True)
            ignore.write_text("*\n")
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class Tree:
    """A copy of the code to run a command with: this checkout, or the baseline's."""

    label: str
    root: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHATBOT_")}
        env.pop("DATABASE_URL", None)
        env["PYTHONPATH"] = str(self.root)
        env["LANG"] = env["LC_ALL"] = "C.UTF-8"
        env.update(extra)
        return env

    def argv(self, *args: str) -> list[str]:
        """``python -c`` running ``chatbot.cli.main(args)`` from this tree."""
        code = "import sys; from chatbot.cli import main; sys.exit(main(sys.argv[1:]))"
        return [PYTHON, "-c", code, *args]


OURS = Tree("this branch", REPO)


@contextlib.contextmanager
def baseline_tree(rev: str = BASELINE) -> Iterator[Tree]:
    """The code of `rev`, checked out in a temporary worktree (removed afterwards)."""
    folder = Path(tempfile.mkdtemp(prefix="chatbot-baseline-"))
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", "--force", str(folder), rev],
        check=True,
        capture_output=True,
    )
    short = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", rev],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    try:
        yield Tree(f"today's code ({short})", folder)
    finally:
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "remove", "--force", str(folder)],
            check=False,
            capture_output=True,
        )


# --- /proc ---------------------------------------------------------------------------------


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process so far."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = _stat(pid)
        return (int(fields[11]) + int(fields[12])) / TICK
    return 0.0


@dataclass
class TreeSampler:
    """Samples the RSS of a process and all its descendants together, `hz` times a second,
    and the CPU time of every process seen (parser processes come and go)."""

    pid: int
    hz: float = 20.0
    peak_tree_mb: float = 0.0
    peak_main_mb: float = 0.0
    samples: int = 0
    cpu: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> TreeSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def sample(self) -> None:
        pids = [self.pid, *descendants(self.pid)]
        sizes = [rss_mb(pid) for pid in pids]
        self.peak_main_mb = max(self.peak_main_mb, sizes[0])
        self.peak_tree_mb = max(self.peak_tree_mb, sum(sizes))
        for pid in pids:
            self.cpu[pid] = max(self.cpu.get(pid, 0.0), cpu_s(pid))
        self.samples += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.sample()
            self._stop.wait(max(0.0, 1 / self.hz - (time.monotonic() - started)))

    @property
    def total_cpu_s(self) -> float:
        return sum(self.cpu.values())


class Lines:
    """A process's stdout lines with their arrival times, waited on from the bench."""

    def __init__(self, stream: object) -> None:
        self.lines: list[tuple[float, str]] = []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self.changed:
                self.lines.append((time.perf_counter(), line.rstrip("\n")))
                self.changed.notify_all()

    def wait(self, test: object, after: int, timeout: float) -> tuple[int, float] | None:
        """The index and time of the first line after `after` passing `test`."""
        deadline = time.perf_counter() + timeout
        with self.changed:
            while True:
                for index in range(after, len(self.lines)):
                    if test(self.lines[index][1]):  # type: ignore[operator]
                        return index, self.lines[index][0]
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self.changed.wait(left)
