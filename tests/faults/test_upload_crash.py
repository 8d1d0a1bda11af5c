"""Threat model §4.8: a raw upload never outlives a crash of the bot that was reading it.

One process (`chatbot console`, SQLite, its parser processes) receives the 10 MB flood zip,
whose reading takes seconds; it is killed with SIGKILL while it reads. The upload is
then still in the uploads folder, owned by nobody. The next start of the bot sweeps it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools.archivegen_flood import flood_zip
from tests.servers.process import descendants, kill_all

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def _console(data_dir: Path, stdin: int | None = subprocess.PIPE) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATBOT_")}
    env.pop("DATABASE_URL", None)
    env.update(CHATBOT_DATA_DIR=str(data_dir), CHATBOT_MATCHING_OFFLINE="true",
               PYTHONPATH=str(REPO), LANG="C.UTF-8")  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-c", "import sys; from chatbot.cli import main; "
         "sys.exit(main(['console']))"],
        stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        cwd=data_dir,
    )  # fmt: skip


def _held(uploads: Path) -> list[Path]:
    return [p for p in uploads.rglob("*") if p.is_file() and p.name != ".reserved"]


def test_an_upload_left_by_a_kill_is_swept_at_the_next_start(tmp_path: Path) -> None:
    flood = flood_zip(tmp_path / "twitter-flood.zip").path
    data = tmp_path / "data"
    data.mkdir()
    uploads = data / "uploads"
    bot = _console(data)
    assert bot.stdin is not None
    bot.stdin.write(f"/upload {flood}\n".encode())
    bot.stdin.flush()
    deadline = time.monotonic() + 60
    while not (_held(uploads) and len(descendants(bot.pid)) >= 2):  # copied, parser busy
        assert bot.poll() is None and time.monotonic() < deadline, "the upload never arrived"
        time.sleep(0.05)
    time.sleep(1.0)  # mid-parse: reading the flood takes several seconds
    children = descendants(bot.pid)
    bot.send_signal(signal.SIGKILL)
    bot.wait(10)
    kill_all(children)  # the parsers of the killed bot, if they outlived it
    left = _held(uploads)
    assert left, "the kill came too late: nothing was left behind"

    restarted = _console(data, stdin=subprocess.DEVNULL)  # starts, sweeps, reads EOF, stops
    assert restarted.wait(60) == 0
    assert not any(uploads.iterdir()), list(uploads.rglob("*"))
    print(f"\nFAULTS upload crash: {len(left)} file(s) left by the kill, none after restart")
