"""The memory-flood run (threat model §4.4), shared by the test and `bench/bench_abuse.py`.

The real bot (`chatbot run`, Telegram polling) talks to the Bot API emulator in local
mode (2 GB downloads); both are separate processes. `TreeSampler` reads the resident
memory of the bot process and of every descendant (the parser processes) 20 times a
second and keeps the largest sum. One user sends the flood zip while another sends
`/help` over and over; the run ends when the first user has an answer.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from chatbot.i18n import load_catalog, translator
from tests.e2e.telegram.conftest import Deployment, Process, start_bot, start_emulator
from tests.e2e.telegram.driver import TelegramUser, text_of
from tests.servers.process import descendants

REPO = Path(__file__).resolve().parents[2]
SAMPLE_HZ = 20
EN = translator("en")
REFUSALS = tuple(  # the start of every message that refuses an archive
    str(text).split("{")[0][:60]
    for key, text in load_catalog("en").items()
    if key.startswith(("archive.error.", "upload.too_big", "upload.disk_full"))
)


def _rss_kb(pid: int) -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class TreeSampler:
    """The peak of the summed RSS of a process and its descendants, sampled at 20 Hz."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_mb = 0.0
        self.samples = 0
        self.peak_pids: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        tree = [self.pid, *descendants(self.pid)]
        last_scan = time.monotonic()
        while not self._stop.is_set():
            if time.monotonic() - last_scan > 0.5:  # parser processes come and go
                tree = [self.pid, *descendants(self.pid)]
                last_scan = time.monotonic()
            sizes = {pid: _rss_kb(pid) / 1024 for pid in tree}
            self.peak_mb = max(self.peak_mb, sum(sizes.values()))
            for pid, mb in sizes.items():
                self.peak_pids[pid] = max(self.peak_pids.get(pid, 0.0), mb)
            self.samples += 1
            self._stop.wait(1 / SAMPLE_HZ)

    def __enter__(self) -> TreeSampler:
        self.started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.seconds = time.monotonic() - self.started

    @property
    def hz(self) -> float:
        return self.samples / max(self.seconds, 1e-9)


# the last message of an upload: the matching's report (or why there is none)
DONE = tuple(EN(key) for key in ("match.found.following", "match.found.failed"))


@dataclass
class FloodRun:
    peak_mb: float
    sample_hz: float
    answer_s: float  # until the summary (or a refusal)
    done_s: float  # until the matching's report: the end of the upload's work
    answer: str
    messages: int
    help_latencies: list[float] = field(default_factory=list)

    @property
    def help_max_s(self) -> float:
        return max(self.help_latencies, default=0.0)

    @property
    def help_p50_s(self) -> float:
        return statistics.median(self.help_latencies) if self.help_latencies else 0.0


@contextlib.contextmanager
def deployment(tmp: Path, code: Path = REPO) -> Iterator[Deployment]:
    """The emulator (local mode) and the bot whose code is the checkout at `code`."""
    (tmp / "emulator").mkdir(parents=True)
    (tmp / "bot").mkdir()
    emulator_process, emulator = start_emulator(tmp / "emulator", local=True)
    bot: Process | None = None
    try:
        path = os.pathsep.join(filter(None, [str(code), os.environ.get("PYTHONPATH")]))
        bot = start_bot(emulator, tmp / "bot", local=True, extra_env={"PYTHONPATH": path})
        yield Deployment(emulator, bot)
    finally:
        if bot is not None:
            bot.stop()
        emulator.close()
        emulator_process.stop()


def _answered(messages: list[dict[str, object]], needles: tuple[str, ...]) -> bool:
    return any(any(n in text_of(m) for n in needles) for m in messages)


def _refused(messages: list[dict[str, object]]) -> bool:
    return any(text_of(m).startswith(REFUSALS) for m in messages)


def run_flood(
    deploy: Deployment, flood: Path, needles: tuple[str, ...], timeout_s: float = 600.0
) -> FloodRun:
    """User A sends `flood`; meanwhile others send /help, one every ~0.5 s (four users in
    turn, each under the bot's flood limit of 20 messages in 30 s), until A's chat shows
    one of `needles` (the summary, or a refusal), and on until the matching reported (the
    end of the work an upload makes)."""
    base = 900_000 + os.getpid() % 1000 * 10
    sender = TelegramUser(deploy.emulator, base, "Mallory")
    others = [TelegramUser(deploy.emulator, base + n, f"Bob{n}") for n in range(1, 5)]
    for other in others:  # warm: the bot answers at all
        other.send("/help")
        other.wait_text("/summary", timeout=30)
    latencies: list[float] = []
    with TreeSampler(deploy.bot.popen.pid) as sampler:
        started = time.monotonic()
        sender.send_file(flood)
        answer_s = None
        for turn in itertools.count():
            replies = sender.replies()
            if answer_s is None and _answered(replies, needles):
                answer_s = time.monotonic() - started
            if _answered(replies, DONE) or _refused(replies):
                break
            if time.monotonic() - started > timeout_s or deploy.bot.popen.poll() is not None:
                break
            other = others[turn % len(others)]
            sent = time.monotonic()
            other.send("/help")
            with contextlib.suppress(AssertionError):
                other.wait_text("/summary", timeout=30)
            latencies.append(time.monotonic() - sent)
            time.sleep(max(0.0, 0.5 - (time.monotonic() - sent)))
        done_s = time.monotonic() - started
    replies = sender.replies()
    shown = [text_of(m) for m in replies]
    answer = next((t for t in shown if any(n in t for n in needles)), "(no answer)")
    return FloodRun(sampler.peak_mb, sampler.hz, answer_s or done_s, done_s, answer,
                    len(replies), latencies)  # fmt: skip
