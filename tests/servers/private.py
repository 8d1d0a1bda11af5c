"""A PostgreSQL and a Redis private to one test, which the test may stop and start again.

Both bind 127.0.0.1 on a free port that stays the same across restarts, and are stopped
by PID (`close()`). The Redis keeps an append-only file written on every command, like
a production Redis with persistence: what was written before a crash is there after.

Usage::

    pg = PrivatePostgres.start()      # pg.url (postgresql://), pg.stop(), pg.restart()
    redis = PrivateRedis.start()      # redis.url, redis.kill() (SIGKILL), redis.restart()
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from tests.servers.pgcluster import (
    ServerUnavailable,
    pg_bindir,
    pg_ctl_start,
    start_postgres,
    stop_postgres,
)
from tests.servers.process import free_port, terminate


class PrivatePostgres:
    def __init__(self, run_dir: Path, bindir: Path, port: int) -> None:
        self.run_dir, self.bindir, self.port = run_dir, bindir, port

    @property
    def url(self) -> str:
        return f"postgresql://pg@127.0.0.1:{self.port}/postgres"

    @classmethod
    def start(cls) -> PrivatePostgres:
        """initdb and start; raises ServerUnavailable (the shared helpers' error) or OSError."""
        run_dir = Path(tempfile.mkdtemp(prefix="chatbot-faults-pg-"))
        os.chmod(run_dir, 0o755)  # the postgres user walks into it
        server = cls(run_dir, pg_bindir(), free_port())
        try:
            start_postgres(run_dir, server.bindir, server.port)
        except BaseException:
            server.close()
            raise
        return server

    def stop(self) -> None:
        """Fast shutdown: every connection is cut."""
        stop_postgres(self.run_dir)

    def restart(self) -> None:
        pg_ctl_start(self.run_dir, self.bindir, self.port)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.run_dir, ignore_errors=True)


class PrivateRedis:
    def __init__(self, run_dir: Path, port: int) -> None:
        self.run_dir, self.port = run_dir, port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @classmethod
    def start(cls) -> PrivateRedis:
        if not shutil.which("redis-server"):
            raise ServerUnavailable("redis-server is not installed")
        server = cls(Path(tempfile.mkdtemp(prefix="chatbot-faults-redis-")), free_port())
        server.restart()
        return server

    def restart(self, timeout: float = 15) -> None:
        """Start on the same port and data directory (the append-only file is reloaded)."""
        with (self.run_dir / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                 "--dir", str(self.run_dir), "--save", "", "--appendonly", "yes",
                 "--appendfsync", "always"],
                stdout=log, stderr=subprocess.STDOUT, cwd=self.run_dir,
            )  # fmt: skip
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    if client.ping():
                        return
                except redis.RedisError:
                    if time.monotonic() > deadline or self.process.poll() is not None:
                        raise ServerUnavailable("redis-server did not start") from None
                    time.sleep(0.05)
        finally:
            client.close()

    def kill(self) -> None:
        """A crash: SIGKILL, no goodbye to the clients."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def close(self) -> None:
        terminate(self.process)
        with contextlib.suppress(OSError):
            shutil.rmtree(self.run_dir)
