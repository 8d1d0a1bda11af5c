"""A throw-away Synapse homeserver for end-to-end tests, bound to 127.0.0.1.

Synapse gets its own virtualenv (it pins many packages), created once and cached in
``.cache/synapse-venv`` (override with CHATBOT_TEST_SYNAPSE_VENV). Each server has a
fresh data directory with a hand-written ``homeserver.yaml`` (rate limits lifted,
open registration, a registration shared secret, a high upload limit), listens on a
free port, and is stopped by its PID. The signing key is cached next to the venv.

Usage::

    server = start_synapse(tmp_dir)        # raises SynapseUnavailable with the reason
    alice = server.register("alice", "pw")  # -> "@alice:localhost"
    server.stop()
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.servers.process import free_port, terminate

SYNAPSE_VERSION = "1.163.2"
REPO = Path(__file__).resolve().parents[2]
SERVER_NAME = "localhost"
SHARED_SECRET = "test-shared-secret"
ADMIN = "e2eadmin"
_LIMIT = "{per_second: 1000, burst_count: 1000}"


class SynapseUnavailable(Exception):
    """Synapse could not be installed or started; the message says why."""


def venv_dir() -> Path:
    return Path(os.environ.get("CHATBOT_TEST_SYNAPSE_VENV") or REPO / ".cache" / "synapse-venv")


def ensure_venv(venv: Path | None = None) -> Path:
    """Create (once) a venv with matrix-synapse installed; return its python."""
    venv = venv or venv_dir()
    python = venv / "bin" / "python"
    marker = venv / f".installed-{SYNAPSE_VERSION}"
    if marker.exists() and python.exists():
        return python
    if venv.exists():
        shutil.rmtree(venv)  # a half-finished install
    venv.parent.mkdir(parents=True, exist_ok=True)
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            f"matrix-synapse=={SYNAPSE_VERSION}",
        ],
    ]
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=900, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SynapseUnavailable(f"{' '.join(step[:3])}: {exc}") from None
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
            raise SynapseUnavailable(
                f"installing matrix-synapse=={SYNAPSE_VERSION} failed:\n" + "\n".join(tail)
            )
    marker.touch()
    return python


def _config(data: Path, port: int, max_upload: str, message_limit: str) -> str:
    limits = "\n".join(
        f"{key}: {_LIMIT}"
        for key in (
            "rc_registration",
            "rc_joins_per_room",
            "rc_room_creation",
            "rc_media_create",
            "rc_profile",
            "rc_3pid_validation",
            "rc_admin_redaction",
        )
    )
    return f"""\
server_name: "{SERVER_NAME}"
public_baseurl: "http://127.0.0.1:{port}/"
pid_file: {data}/homeserver.pid
listeners:
  - port: {port}
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: {data}/homeserver.db
media_store_path: {data}/media_store
signing_key_path: {data}/signing.key
log_config: {data}/log.yaml
report_stats: false
trusted_key_servers: []
suppress_key_server_warning: true
registration_shared_secret: "{SHARED_SECRET}"
macaroon_secret_key: "test-macaroon-secret"
form_secret: "test-form-secret"
enable_registration: true
enable_registration_without_verification: true
max_upload_size: {max_upload}
rc_message: {message_limit}
url_preview_enabled: false
presence:
  enabled: false
{limits}
rc_login:
  address: {_LIMIT}
  account: {_LIMIT}
  failed_attempts: {_LIMIT}
rc_joins:
  local: {_LIMIT}
  remote: {_LIMIT}
rc_invites:
  per_room: {_LIMIT}
  per_user: {_LIMIT}
  per_issuer: {_LIMIT}
"""


_LOG_CONFIG = """\
version: 1
formatters:
  precise:
    format: '%(asctime)s %(name)s %(levelname)s %(message)s'
handlers:
  file:
    class: logging.FileHandler
    formatter: precise
    filename: {path}
root:
  level: WARNING
  handlers: [file]
disable_existing_loggers: false
"""


@dataclass
class SynapseServer:
    """A running Synapse; `url` is its client API root."""

    data_dir: Path
    port: int
    process: subprocess.Popen[bytes]
    users: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        path = self.data_dir / "synapse.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def request(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> dict[str, Any]:
        """One JSON request to the client API (raises urllib.error.HTTPError on errors)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            result: dict[str, Any] = json.loads(response.read() or b"{}")
            return result

    def register(self, username: str, password: str, *, admin: bool = False) -> str:
        """Register a user with the shared-secret admin API; return the full user id."""
        nonce = self.request("GET", "/_synapse/admin/v1/register")["nonce"]
        body = {
            "nonce": nonce,
            "username": username,
            "password": password,
            "admin": admin,
            "mac": _register_mac(nonce, username, password, admin),
        }
        result = self.request("POST", "/_synapse/admin/v1/register", body)
        user_id = str(result["user_id"])
        self.users[username] = user_id
        self.tokens[user_id] = str(result["access_token"])
        return user_id

    def admin_token(self) -> str:
        """The access token of an admin account (registered on first use)."""
        admin = f"@{ADMIN}:{SERVER_NAME}"
        if admin not in self.tokens:
            self.register(ADMIN, "admin-password", admin=True)
        return self.tokens[admin]

    def user_devices(self, user_id: str) -> list[dict[str, Any]]:
        """Every device of a user (admin API: no login, so no new device is created)."""
        path = f"/_synapse/admin/v2/users/{quote(user_id)}/devices"
        return list(self.request("GET", path, token=self.admin_token())["devices"])

    def room_members(self, room_id: str) -> list[str]:
        """The users joined to a room (admin API)."""
        path = f"/_synapse/admin/v1/rooms/{quote(room_id)}/members"
        return list(self.request("GET", path, token=self.admin_token())["members"])

    def stop(self, *, remove_data: bool = True) -> None:
        terminate(self.process)
        if remove_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def _register_mac(nonce: str, username: str, password: str, admin: bool) -> str:
    """HMAC-SHA1 of the NUL-separated parts, as Synapse's shared-secret registration wants."""
    mac = hmac.new(SHARED_SECRET.encode(), digestmod=hashlib.sha1)
    mac.update(
        b"\x00".join(
            part.encode() for part in (nonce, username, password, "admin" if admin else "notadmin")
        )
    )
    return mac.hexdigest()


def start_synapse(
    data_dir: Path,
    *,
    max_upload: str = "100M",
    message_rate: tuple[float, int] | None = None,
    wait_s: float = 60.0,
) -> SynapseServer:
    """Install (once), configure and start a Synapse; return when /health answers.

    Rate limits are lifted, except messages when `message_rate` is (per second, burst).
    """
    python = ensure_venv()
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = data_dir / "homeserver.yaml"
    message_limit = (
        f"{{per_second: {message_rate[0]}, burst_count: {message_rate[1]}}}"
        if message_rate
        else _LIMIT
    )
    config.write_text(_config(data_dir, port, max_upload, message_limit))
    (data_dir / "log.yaml").write_text(_LOG_CONFIG.format(path=data_dir / "synapse.log"))
    cached_key = python.parent.parent / "signing.key"
    if cached_key.exists():
        shutil.copyfile(cached_key, data_dir / "signing.key")
    else:
        _run(
            [str(python), "-m", "synapse.app.homeserver", "-c", str(config), "--generate-keys"],
            data_dir,
        )
        shutil.copyfile(data_dir / "signing.key", cached_key)
    stdout = (data_dir / "stdout.log").open("wb")
    process = subprocess.Popen(
        [str(python), "-m", "synapse.app.homeserver", "-c", str(config)],
        cwd=data_dir,
        stdout=stdout,
        stderr=subprocess.STDOUT,
    )
    stdout.close()
    server = SynapseServer(data_dir, port, process)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = (data_dir / "stdout.log").read_text(errors="replace")[-3000:]
            raise SynapseUnavailable(f"synapse exited with {process.returncode}:\n{output}")
        try:
            with urllib.request.urlopen(server.url + "/health", timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    server.stop(remove_data=False)
    raise SynapseUnavailable(
        f"synapse did not answer /health in {wait_s:.0f} s:\n" + server.log_tail()
    )


def _run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise SynapseUnavailable(f"{' '.join(command[-3:])} failed: {done.stderr[-2000:]}")
