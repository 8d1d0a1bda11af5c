"""Fixtures: one real Synapse per session, the bot as a real `chatbot run` subprocess,
and people (`MatrixUser`) with their own E2EE stores.

Synapse is installed into its own cached venv on first use. If that fails, the tests
fail on CI (CI=true) and are skipped locally, with the reason either way.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest

from tests.conftest import server_unavailable
from tests.e2e.matrix.driver import MatrixUser
from tests.servers.process import terminate
from tests.servers.synapse import SynapseServer, SynapseUnavailable, start_synapse

pytestmark = pytest.mark.server

BOT_LOCALPART = "migrationbot"
BOT_PASSWORD = "bot-password-e2e"
CHATBOT = Path(sys.executable).with_name("chatbot")
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynapseServer]:
    try:
        server = start_synapse(tmp_path_factory.mktemp("synapse"))
    except SynapseUnavailable as exc:
        server_unavailable(f"Synapse: {exc}")
        raise
    try:
        yield server
    finally:
        server.stop()


class BotProcess:
    """`chatbot run` configured for Matrix, started and stopped by PID."""

    def __init__(
        self,
        server: SynapseServer,
        home: Path,
        localpart: str = BOT_LOCALPART,
        *,
        use_token: bool = False,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.server = server
        self.extra_env = dict(extra_env or {})
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.data_dir = home / "data"
        self.config_dir = home / "config"
        self.user_id = server.register(localpart, BOT_PASSWORD)
        # with use_token the bot gets the access token (and device) of the registration
        self.credentials = (
            {"CHATBOT_MATRIX_TOKEN": server.tokens[self.user_id]}
            if use_token
            else {"CHATBOT_MATRIX_PASSWORD": BOT_PASSWORD}
        )
        self.log_path = home / "bot.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHATBOT_")}
        env.pop("DATABASE_URL", None)
        env.update(
            CHATBOT_MATRIX_HOMESERVER=self.server.url,
            CHATBOT_MATRIX_USER=self.user_id,
            CHATBOT_DATA_DIR=str(self.data_dir),
            XDG_CONFIG_HOME=str(self.config_dir),  # the generated key: outside the data dir
            CHATBOT_MATCHING_OFFLINE="true",  # hermetic: no public Bluesky/Mastodon/X
            CHATBOT_LOG_LEVEL="INFO",
            LANG="C.UTF-8",
            # the repo's own code even when an editable install predates a package
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            **self.credentials,
        )
        env.update(self.extra_env)
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # a lax umask: the bot must not depend on it
                [str(CHATBOT), "run"], cwd=self.home, env=env, stdout=log, stderr=log, umask=0o022
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            text = self.log_path.read_bytes()[offset:].decode(errors="replace")
            if "matrix: syncing as" in text:  # logged when MatrixAdapter.start() returns
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"the bot did not start:\n{self.log_tail()}")

    def stop(self) -> None:
        terminate(self.process, timeout=30)

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_bot(process: BotProcess) -> Iterator[BotProcess]:
    """Start a bot, stop it afterwards, and fail if it logged a traceback."""
    process.start()
    try:
        yield process
    finally:
        process.stop()
    assert "Traceback" not in process.log_text(), process.log_tail(80)


@pytest.fixture(scope="session")
def bot(synapse: SynapseServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    with running_bot(BotProcess(synapse, tmp_path_factory.mktemp("bot"))) as process:
        yield process


@asynccontextmanager
async def people_on(
    server: SynapseServer, stores: Path
) -> AsyncIterator[Callable[[str], Awaitable[MatrixUser]]]:
    """A factory of logged-in, syncing people with unique names: `await people("alice")`."""
    started: list[MatrixUser] = []

    async def make(name: str) -> MatrixUser:
        localpart = f"{name}{secrets.token_hex(3)}"
        password = f"{name}-password"
        user_id = server.register(localpart, password)
        user = MatrixUser(server.url, user_id, password, stores / f"store-{localpart}")
        await user.start()
        started.append(user)
        return user

    try:
        yield make
    finally:
        for user in started:
            await user.stop()


@pytest.fixture
async def people(
    synapse: SynapseServer, bot: BotProcess, tmp_path: Path
) -> AsyncIterator[Callable[[str], Awaitable[MatrixUser]]]:
    async with people_on(synapse, tmp_path) as make:
        yield make
