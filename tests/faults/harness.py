"""A scaled deployment for the fault tests: a front end in this process, workers as processes.

The front end is the production code path (`Services` with Redis, `QueuedJobRunner`, the
outbox relay) talking to a recording "console" platform; the user is a `Chat`. Workers
are real `chatbot worker` processes, configured by environment variables only, which
this module starts and kills by PID. The user's Bluesky account is a real account on the
local AT Protocol network, connected with an app password (`chatbot.accounts.bluesky`).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from atproto import Session
from sqlalchemy import update

from chatbot.accounts import bluesky as bluesky_account
from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.i18n import translator
from chatbot.migration.store import Job, JobStore
from chatbot.platforms.base import RecordingPlatform, Text
from chatbot.queue.outbox import OutboxRelay
from chatbot.queue.runner import QueuedJobRunner
from chatbot.services import Services
from chatbot.storage.schema import connected_accounts
from handlers import build_registry
from tests.accounts.test_bluesky import _app_password
from tests.conversation.harness import Chat, texts
from tests.export.matches import bsky
from tests.migration.test_follow_bluesky import fake_dids, follow_subjects
from tests.servers.atproto import Account, AtprotoNetwork
from tests.servers.egress import LOCAL_ALLOW
from tests.servers.process import terminate

__all__ = ["fake_dids", "follow_subjects", "t", "texts"]

REPO = Path(__file__).resolve().parents[2]
BATCH = 25
HEARTBEAT_S = 6  # CHATBOT_QUEUE_HEARTBEAT_S: a killed worker's drain is retried after this
t = translator("en")


def scaled_settings(
    settings: Settings, net: AtprotoNetwork, database_url: str, redis_url: str
) -> Settings:
    plc = str(net.info["plc"]).replace("localhost", "127.0.0.1")
    return settings.model_copy(
        update={
            "database_url": database_url,
            "redis_url": redis_url,
            "bluesky_resolver_url": net.pds_url,
            "bluesky_plc_url": plc,
            "egress_allow": list(LOCAL_ALLOW),
            "follow_pace": False,
            "follow_batch_size": BATCH,
            "queue_heartbeat_s": HEARTBEAT_S,
        }
    )


class WorkerProcess:
    """`chatbot worker` with the deployment's settings as environment variables."""

    def __init__(self, settings: Settings, name: str) -> None:
        self.settings = settings
        self.log = settings.data_dir.parent / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        s = self.settings
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("CHATBOT_") or k.startswith("CHATBOT_TEST_")}  # fmt: skip
        env.pop("DATABASE_URL", None)
        env.update(
            DATABASE_URL=str(s.database_url),
            CHATBOT_REDIS_URL=str(s.redis_url),
            CHATBOT_DATA_DIR=str(s.data_dir),
            CHATBOT_MATCHING_OFFLINE="true",
            CHATBOT_FOLLOW_PACE="false",
            CHATBOT_FOLLOW_BATCH_SIZE=str(s.follow_batch_size),
            CHATBOT_BLUESKY_RESOLVER_URL=str(s.bluesky_resolver_url),
            CHATBOT_BLUESKY_PLC_URL=s.bluesky_plc_url,
            CHATBOT_EGRESS_ALLOW=",".join(s.egress_allow),
            CHATBOT_QUEUE_HEARTBEAT_S=str(s.queue_heartbeat_s),
            CHATBOT_UPLOADS_ORPHAN_AFTER_S=str(s.uploads_orphan_after_s),
            PYTHONPATH=str(REPO),
        )
        return env

    def start(self) -> WorkerProcess:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "import sys; from chatbot.cli import main; "
                 "sys.exit(main(['worker']))"],
                cwd=REPO, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        return self

    def kill(self) -> None:
        """kill -9: no shutdown, no goodbye to Redis or PostgreSQL."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        terminate(self.process)

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


class FrontEnd:
    """One front end in this process; `shown()` is everything the user saw."""

    def __init__(self, services: Services, platform: RecordingPlatform) -> None:
        self.services = services
        self.platform = platform
        self.chat = Chat(Dispatcher(services, build_registry()), platform)
        self.chat.wait_for_jobs = False
        self.store = JobStore(services.db)
        self.workers: list[WorkerProcess] = []
        self._relay: asyncio.Task[None] | None = None

    @classmethod
    async def start(cls, settings: Settings, *, relay: bool = True) -> FrontEnd:
        services = await Services.start(settings, processes=False)
        platform = RecordingPlatform(name="console")
        runner = QueuedJobRunner(services, {"console": platform}, queue=services.queue)
        services.follow_jobs = runner
        await runner.start()  # the sweep (`keep_going`)
        front = cls(services, platform)
        if relay:
            front.start_relay()
        return front

    def start_relay(self) -> None:
        redis = self.services.queue.queue.redis
        self._relay = asyncio.create_task(OutboxRelay(redis, {"console": self.platform})
                                          .run_forever())  # fmt: skip

    def worker(self, name: str) -> WorkerProcess:
        worker = WorkerProcess(self.services.settings, name).start()
        self.workers.append(worker)
        return worker

    def shown(self) -> str:
        texts = [r.text for _, r in self.platform.sent if isinstance(r, Text)]
        return "\n".join(texts + [r.text for _, r in self.platform.edits])

    async def until(self, condition: Callable[[], bool], within_s: float = 120.0) -> None:
        deadline = time.monotonic() + within_s
        while not condition():
            if time.monotonic() > deadline:
                logs = "\n".join(f"--- {w.log.name}\n{w.tail()}" for w in self.workers)
                raise AssertionError(f"timed out; the user saw:\n{self.shown()}\n{logs}")
            await asyncio.sleep(0.1)

    async def job_until(
        self, job_id: int, condition: Callable[[Job], bool], within_s: float = 120.0
    ) -> Job:
        """Poll the job's row (PostgreSQL errors while it restarts count as "not yet")."""
        found: list[Job] = []

        async def check() -> None:
            try:
                job = await self.store.get(job_id)
            except Exception:  # the database restarting
                return
            if job is not None and condition(job):
                found.append(job)

        deadline = time.monotonic() + within_s
        while not found:
            await check()
            if not found and time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} timed out; the user saw:\n{self.shown()}")
            await asyncio.sleep(0.05)
        return found[0]

    async def close(self) -> None:
        for worker in self.workers:
            await asyncio.to_thread(worker.stop)
        if self._relay is not None:
            self._relay.cancel()
            await asyncio.gather(self._relay, return_exceptions=True)
        await self.services.close()


async def connect_mover(
    front: FrontEnd, net: AtprotoNetwork, targets: list[str]
) -> tuple[Account, int]:
    """A Bluesky account connected by the chat's user (and the user's id), whose matches
    are `targets`."""
    owner = await asyncio.to_thread(net.create_account, "m" + secrets.token_hex(5),
                                    display_name="Mover")  # fmt: skip
    password = await asyncio.to_thread(_app_password, net, owner.handle)
    services = front.services
    user = await services.users.get_or_create("console", "alice", private_chat_id="dm-alice")
    await bluesky_account.connect(services, user.id, owner.handle, password)
    found = [bsky(n, "verified", did=did) for n, did in enumerate(targets)]
    services.match_cache[user.id] = (time.monotonic(), found)
    return owner, user.id


async def point_account_at(front: FrontEnd, user_id: int, url: str) -> None:
    """The connected account's PDS address, as stored, becomes `url` (the fault proxy):
    the row's `service_url` and the session's PDS endpoint, which a restored atproto
    client talks to (the proxy rewrites the address in DID documents on refresh)."""
    services = front.services
    account = await services.accounts.get(user_id, "bluesky")
    assert account is not None
    session = Session.decode(account.secret)
    session.pds_endpoint = url
    await services.accounts.update_secret(user_id, "bluesky", session.encode())
    async with services.db.begin() as conn:
        await conn.execute(update(connected_accounts).values(service_url=url))


async def subjects_on_pds(net: AtprotoNetwork, did: str) -> list[str]:
    return await asyncio.to_thread(follow_subjects, net.pds_url, did)


async def records_beyond(net: AtprotoNetwork, did: str, count: int, within_s: float = 30) -> int:
    """Wait until the account holds more than `count` follow records; how many it holds."""
    deadline = time.monotonic() + within_s
    while (held := len(await subjects_on_pds(net, did))) <= count:
        if time.monotonic() > deadline:
            raise AssertionError(f"the PDS still holds {held} follow records")
        await asyncio.sleep(0.05)
    return held
