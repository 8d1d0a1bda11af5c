"""Follow jobs against the real local AT Protocol network (dev-env), and a kill -9 mid-way."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from atproto import AsyncClient

from chatbot.config import Settings
from chatbot.migration.follow import FollowOptions
from chatbot.migration.jobs import JobRunner
from chatbot.migration.store import JobStore
from chatbot.migration.writers import AtprotoFollowWriter
from chatbot.platforms.base import RecordingPlatform
from chatbot.services import Services
from tests.servers.atproto import PASSWORD, AtprotoNetwork

REPO = Path(__file__).resolve().parents[2]
UNLIMITED = {"pace": False, "hour_points": 10**7, "day_points": 10**8}


def fake_dids(count: int) -> list[str]:
    """Follow subjects: the PDS checks only that a subject is a DID."""
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    return [
        "did:plc:" + "".join(secrets.choice(alphabet) for _ in range(24)) for _ in range(count)
    ]


def follow_subjects(pds: str, did: str) -> list[str]:
    """Every follow record's subject on the PDS, duplicates included (listRecords)."""
    subjects: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"repo": did, "collection": "app.bsky.graph.follow", "limit": 100}
        if cursor:
            params["cursor"] = cursor
        data = httpx.get(f"{pds}/xrpc/com.atproto.repo.listRecords", params=params).json()
        subjects += [record["value"]["subject"] for record in data["records"]]
        cursor = data.get("cursor")
        if not cursor or not data["records"]:
            return subjects


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    services = await Services.start(settings, processes=False)
    yield services
    await services.close()


async def login(net: AtprotoNetwork) -> tuple[AtprotoFollowWriter, str, str]:
    account = net.create_account("f" + secrets.token_hex(5), display_name="Follower")
    await asyncio.to_thread(net.wait_for_profiles, [account.did])  # login() reads the profile
    client = AsyncClient(base_url=net.pds_url)
    await client.login(account.handle, PASSWORD)
    return AtprotoFollowWriter(client), account.did, account.handle


async def test_450_follows_in_three_batches_skipping_existing_ones(
    atproto_network: AtprotoNetwork, services: Services
) -> None:
    writer, did, handle = await login(atproto_network)
    targets = fake_dids(460)
    await writer.create_follows(targets[:10])  # followed before the job
    user = await services.users.get_or_create("telegram", "7", private_chat_id="dm-7")
    platform = RecordingPlatform(name="telegram")

    writers = [writer]  # a job closes its writer's client: the next job gets a new one

    async def factory(*_: Any) -> AtprotoFollowWriter:
        if writers:
            return writers.pop()
        client = AsyncClient(base_url=atproto_network.pds_url)
        await client.login(handle, PASSWORD)
        return AtprotoFollowWriter(client)

    options = FollowOptions(batch_size=150, **UNLIMITED)  # type: ignore[arg-type]
    runner = JobRunner(services, {"telegram": platform}, writer_factory=factory, options=options)
    writer.requests = 0
    job = await runner.submit(user.id, "bluesky", targets)
    await runner.idle()
    job = await runner.store.get(job.id) or job
    assert (job.state, job.done, job.skipped, job.failed) == ("done", 450, 10, 0)
    # listRecords of follows (a page, then an empty one) and of blocks (one empty page: never
    # follow an account the user blocks), then 3 applyWrites
    assert writer.requests == 2 + 1 + 3
    subjects = follow_subjects(atproto_network.pds_url, did)
    assert sorted(subjects) == sorted(targets)  # every target once, nothing twice
    log = await runner.store.log_for(job.id)
    assert sum(entry.status == "already" for entry in log.values()) == 10
    assert all(entry.uri and entry.uri.startswith(f"at://{did}/") for entry in log.values())
    again = await runner.submit(user.id, "bluesky", targets)  # a second /follow: nothing to do
    await runner.idle()
    assert (await runner.store.get(again.id)).done == 0  # type: ignore[union-attr]
    assert len(follow_subjects(atproto_network.pds_url, did)) == 460
    assert platform.sent, "the progress message was shown"


def _logged(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("select count(*) from follow_log").fetchone()[0])


async def test_killed_mid_way_and_restarted_loses_nothing_and_repeats_nothing(
    atproto_network: AtprotoNetwork, settings: Settings, services: Services
) -> None:
    _, did, handle = await login(atproto_network)
    targets = fake_dids(450)
    user = await services.users.get_or_create("telegram", "8")
    job = await JobStore(services.db).create(user.id, "follow_bluesky", {"targets": targets}, 450)
    db = settings.data_dir / "chatbot.sqlite3"
    assert db.exists(), "the default SQLite database of the settings"
    cmd = [sys.executable, "-m", "tests.migration.run_follow_job", str(settings.data_dir),
           atproto_network.pds_url, handle, PASSWORD, "50", "0.5"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    first = subprocess.Popen(cmd, cwd=REPO, env=env)  # noqa: ASYNC220
    deadline = time.monotonic() + 60
    while _logged(db) < 50 and first.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    cut = _logged(db)
    assert 50 <= cut < 450, "killed after the first batch was checkpointed, before the end"
    second = await asyncio.to_thread(subprocess.run, cmd, cwd=REPO, env=env, timeout=120)
    assert second.returncode == 0
    final = await JobStore(services.db).get(job.id)
    assert final is not None and final.state == "done"
    assert final.done + final.skipped == 450 and final.failed == 0
    subjects = follow_subjects(atproto_network.pds_url, did)
    assert len(subjects) == len(set(subjects)) == 450  # no duplicate follow record
    assert set(subjects) == set(targets)  # nothing lost
