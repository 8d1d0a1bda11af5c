"""A ``mastodon-mock`` server (a Mastodon API stand-in, FastAPI) for tests, on 127.0.0.1.

The mock gets its own virtualenv, created once and cached in ``.cache/mastodon-mock``
(override with CHATBOT_TEST_MASTODON_VENV). Each server has a fresh config with seeded
accounts (local ones, and "remote" ones as rows with a domain: the mock does not
federate), an in-memory database, a free port, and is stopped by its PID.

mastodon-mock 0.6.1 cannot represent a moved account (its Account serializer always says
``"moved": null`` and its seed has no such field): see ``fediverse_standin.py``.

Usage::

    server = start_mastodon(tmp_dir, SEED)   # raises MastodonUnavailable with the reason
    server.url                               # http://127.0.0.1:PORT
    server.stop()
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.servers.process import free_port, terminate

MOCK_VERSION = "0.6.1"
REPO = Path(__file__).resolve().parents[2]


class MastodonUnavailable(Exception):
    """mastodon-mock could not be installed or started; the message says why."""


@dataclass(frozen=True)
class SeedAccount:
    username: str
    display_name: str = ""
    domain: str | None = None  # None: a local account of the mock
    note: str = ""
    locked: bool = False
    bot: bool = False

    @property
    def acct(self) -> str:
        return f"{self.username}@{self.domain}" if self.domain else self.username


def venv_dir() -> Path:
    return Path(os.environ.get("CHATBOT_TEST_MASTODON_VENV") or REPO / ".cache" / "mastodon-mock")


def ensure_venv(venv: Path | None = None) -> tuple[Path, float]:
    """Create (once) a venv with mastodon-mock; return its entry point and the seconds taken."""
    venv = venv or venv_dir()
    entry = venv / "bin" / "mastodon_mock"
    marker = venv / f".installed-{MOCK_VERSION}"
    if marker.exists() and entry.exists():
        return entry, 0.0
    started = time.monotonic()
    if venv.exists():
        shutil.rmtree(venv)  # a half-finished install
    venv.parent.mkdir(parents=True, exist_ok=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    for step in (
        [sys.executable, "-m", "venv", str(venv)],
        [*pip, "--disable-pip-version-check", f"mastodon-mock=={MOCK_VERSION}"],
    ):
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=600, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise MastodonUnavailable(f"{' '.join(step[:3])}: {exc}") from None
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
            raise MastodonUnavailable(f"installing mastodon-mock=={MOCK_VERSION} failed:\n{tail}")
    marker.touch()
    return entry, time.monotonic() - started


def _toml(value: object) -> str:
    return json.dumps(value)  # JSON strings, numbers and booleans are valid TOML


def _config(data: Path, port: int, accounts: Sequence[SeedAccount], extra: str) -> str:
    lines = [
        f"domain = {_toml(f'127.0.0.1:{port}')}",
        'url_scheme = "http"',
        f"media_storage_path = {_toml(str(data / 'media'))}",
        "",
        "[database]",
        'path = ":memory:"',
        "",
        "[server]",
        'host = "127.0.0.1"',
        f"port = {port}",
    ]
    for account in accounts:
        lines += ["", "[[seed.accounts]]", f"username = {_toml(account.username)}"]
        for key in ("display_name", "domain", "note", "locked", "bot"):
            value = getattr(account, key)
            if value not in (None, "", False):
                lines.append(f"{key} = {_toml(value)}")
    return "\n".join(lines) + "\n\n" + extra


@dataclass
class MastodonServer:
    data_dir: Path
    port: int
    process: subprocess.Popen[bytes]
    accounts: list[SeedAccount] = field(default_factory=list)
    start_seconds: float = 0.0
    install_seconds: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def domain(self) -> str:
        """The local domain of the mock: local accounts are `user@127.0.0.1:PORT`."""
        return f"127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        path = self.data_dir / "mock.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.loads(response.read())

    def dev_user(self, username: str = "") -> dict[str, Any]:
        """A fresh local account and a user token (the mock's ``/api/v1/_mock/dev_user``):
        ``{"id", "username", "access_token", ...}``; a generated name when none is given."""
        body = json.dumps({"username": username} if username else {}).encode()
        request = urllib.request.Request(
            self.url + "/api/v1/_mock/dev_user", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return dict(json.loads(response.read()))

    def stop(self, *, remove_data: bool = True) -> None:
        terminate(self.process)
        if remove_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def start_mastodon(
    data_dir: Path, accounts: Sequence[SeedAccount], *, extra_config: str = "", timeout: float = 60
) -> MastodonServer:
    """Start a mock seeded with `accounts`; `extra_config` is more TOML (e.g. [ratelimit])."""
    entry, install_seconds = ensure_venv()
    started = time.monotonic()
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "media").mkdir(exist_ok=True)
    port = free_port()
    config = data_dir / "mock.toml"
    config.write_text(_config(data_dir, port, accounts, extra_config))
    with (data_dir / "mock.log").open("wb") as log:
        process = subprocess.Popen(
            [str(entry), "serve", "--config", str(config), "--log-level", "warning"],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=data_dir,
        )
    server = MastodonServer(data_dir, port, process, list(accounts))
    server.install_seconds = install_seconds
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = server.log_tail()
            server.stop(remove_data=False)
            raise MastodonUnavailable(f"mastodon-mock exited ({process.returncode}):\n{tail}")
        try:
            server.get("/api/v1/instance")
        except (OSError, urllib.error.URLError, ValueError):
            time.sleep(0.1)
            continue
        server.start_seconds = time.monotonic() - started
        return server
    tail = server.log_tail()
    server.stop(remove_data=False)
    raise MastodonUnavailable(f"mastodon-mock did not answer within {timeout:.0f} s:\n{tail}")
