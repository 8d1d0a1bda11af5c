"""The servers and bots the tests start: a free port to bind, and stopping them by their
PID, politely first."""

from __future__ import annotations

import signal
import socket
import subprocess


def terminate(process: subprocess.Popen[bytes] | None, timeout: float = 15) -> None:
    """SIGTERM, wait up to `timeout` seconds, then SIGKILL; a finished process is left alone."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
