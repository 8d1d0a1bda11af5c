"""Start the Bot API emulator and the real bot (`chatbot run`) as separate processes.

One emulator + bot pair serves the whole session (cloud API, 20 MB download limit); the
local-mode pair (`--local`, `CHATBOT_TELEGRAM_LOCAL_MODE=true`) starts only for the tests
that ask for it. Each test gets fresh user ids, so per-user state never leaks between tests.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.telegram.driver import Emulator, TelegramUser
from tests.servers.process import terminate

TOKEN = "4242424242:AAE2e-Test_TokenDoNotLog-xyz"
BOT_USERNAME = "xmigration_e2e_bot"
CHATBOT = Path(sys.executable).with_name("chatbot")
REPO = Path(__file__).resolve().parents[3]
_user_ids = itertools.count(10_001)


@dataclass
class Process:
    """A child process whose output lines are collected by a reader thread."""

    popen: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def follow(self, stream_name: str) -> None:
        stream = getattr(self.popen, stream_name)

        def read() -> None:
            for line in stream:
                self.lines.append(line.rstrip("\n"))

        threading.Thread(target=read, daemon=True).start()

    def wait_line(self, needle: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if needle in line:
                    return line
            if self.popen.poll() is not None:
                break
            time.sleep(0.05)
        output = "\n".join(self.lines[-40:])
        raise RuntimeError(f"no {needle!r} (exit code {self.popen.poll()}):\n{output}")

    def stop(self) -> None:
        terminate(self.popen)


def start_emulator(
    data_dir: Path, *, local: bool, extra: Sequence[str] = ()
) -> tuple[Process, Emulator]:
    args = [sys.executable, "-m", "devtools.botapi_emulator", "--host", "127.0.0.1"]
    args += ["--port", "0", "--data-dir", str(data_dir), "--bot-username", BOT_USERNAME]
    args += ["--token", TOKEN] + (["--local"] if local else []) + list(extra)
    popen = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    process = Process(popen)
    process.follow("stdout")
    try:
        root = process.wait_line("READY ", timeout=20).split()[1]
    except RuntimeError:
        process.stop()
        raise
    return process, Emulator(root, BOT_USERNAME)


def start_bot(
    emulator: Emulator, data_dir: Path, *, local: bool, extra_env: Mapping[str, str] = {}
) -> Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATBOT_")}
    env.pop("DATABASE_URL", None)
    env.update(
        CHATBOT_TELEGRAM_TOKEN=TOKEN,
        CHATBOT_TELEGRAM_API_URL=emulator.root,
        CHATBOT_TELEGRAM_LOCAL_MODE="true" if local else "false",
        CHATBOT_DATA_DIR=str(data_dir),
        XDG_CONFIG_HOME=str(data_dir.with_name(data_dir.name + "-config")),  # the key
        CHATBOT_MATCHING_OFFLINE="true",  # hermetic: no public Bluesky/Mastodon/X
        CHATBOT_LOG_LEVEL="INFO",
        LANG="C.UTF-8",
        # the repository first: a stale editable install may map `handlers` as a namespace
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    env.update(extra_env)
    command = [str(CHATBOT), "run"] if CHATBOT.exists() else [sys.executable, "-m", "chatbot.cli"]
    popen = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
        env=env,
        cwd=data_dir,  # no stray .env from the working tree
        umask=0o022,  # a lax umask: the bot's files must be private all the same
    )
    process = Process(popen)
    process.follow("stderr")
    try:
        process.wait_line("telegram is running", timeout=60)
    except RuntimeError:
        process.stop()
        raise
    return process


@dataclass
class Deployment:
    emulator: Emulator
    bot: Process

    def user(self, language_code: str | None = "en", first_name: str = "Zoé") -> TelegramUser:
        return TelegramUser(self.emulator, next(_user_ids), first_name, language_code)

    def bot_log(self) -> str:
        return "\n".join(self.bot.lines)


def _deploy(tmp: Path, *, local: bool) -> Iterator[Deployment]:
    (tmp / "emulator").mkdir()
    (tmp / "bot").mkdir()
    emulator_process, emulator = start_emulator(tmp / "emulator", local=local)
    try:
        bot = start_bot(emulator, tmp / "bot", local=local)
        try:
            yield Deployment(emulator, bot)
        finally:
            bot.stop()
    finally:
        emulator.close()
        emulator_process.stop()


@pytest.fixture(scope="session")
def telegram(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """The bot on the emulated cloud Bot API (20 MB download limit)."""
    yield from _deploy(tmp_path_factory.mktemp("telegram-cloud"), local=False)


@pytest.fixture(scope="module")
def telegram_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """The bot on an emulated self-hosted Bot API server in `--local` mode."""
    yield from _deploy(tmp_path_factory.mktemp("telegram-local"), local=True)
