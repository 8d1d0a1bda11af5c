"""System pieces the test servers share: commands, apt-get, free ports, and PostgreSQL
clusters private to a run (initdb under a run folder, as the postgres user; stopped by
the PID in ``postmaster.pid`` after checking its command line).

Used by the AT Protocol network (`tests.servers.atproto`) and by the fault tests'
restartable servers (`tests.servers.private`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path


class ServerUnavailable(Exception):
    """A test server could not be installed or started; says why."""


def run_command(
    cmd: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 900,
) -> None:
    try:
        done = subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ServerUnavailable(f"{' '.join(cmd[:4])}: {exc}") from None
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-20:])
        raise ServerUnavailable(f"{' '.join(cmd[:4])} failed ({done.returncode}):\n{tail}")


def apt_install(*packages: str) -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise ServerUnavailable(f"{', '.join(packages)} missing and apt-get unusable (not root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run_command(["apt-get", "update", "-qq"], env=env)
    run_command(["apt-get", "install", "-y", "-qq", *packages], env=env)


def pg_bindir() -> Path:
    if not shutil.which("pg_config"):
        apt_install("postgresql")
    out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
    bindir = Path(out.stdout.strip())
    if not (bindir / "initdb").exists():  # pg_config from libpq-dev only: look for a server
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not found:
            apt_install("postgresql")
            found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not found:
            raise ServerUnavailable("no PostgreSQL server binaries (initdb) found")
        bindir = found[-1].parent
    return bindir


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _postmaster_pid(run_dir: Path) -> int | None:
    pid_file = run_dir / "pg" / "data" / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if str(run_dir) in cmdline(pid) else None  # really this run's server


def stop_postgres(run_dir: Path) -> None:
    pid = _postmaster_pid(run_dir)
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast" shutdown
        for _ in range(100):
            os.kill(pid, 0)
            time.sleep(0.1)
        os.kill(pid, signal.SIGQUIT)  # "immediate"


def _runuser() -> list[str]:
    """initdb and pg_ctl refuse to run as root: run them as the postgres user."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def start_postgres(run_dir: Path, bindir: Path, port: int) -> None:
    """A new cluster in ``run_dir/pg`` (initdb), started on `port` (user ``pg``, trust)."""
    pg = run_dir / "pg"
    pg.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(pg, "postgres", "postgres")
    run_command([*_runuser(), str(bindir / "initdb"), "-D", str(pg / "data"), "-U", "pg",
          "--auth=trust", "-E", "UTF8"], timeout=120)  # fmt: skip
    pg_ctl_start(run_dir, bindir, port)


def pg_ctl_start(run_dir: Path, bindir: Path, port: int) -> None:
    """Start (or start again, after `stop_postgres`) the cluster of `run_dir`."""
    pg = run_dir / "pg"
    runuser = _runuser()
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {pg} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    log = str(pg / "pg.log")
    run_command([*runuser, str(bindir / "pg_ctl"), "-D", str(pg / "data"), "-l", log,
                 "-w", "-o", options, "start"], timeout=120)  # fmt: skip
