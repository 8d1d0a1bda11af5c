"""An undo job killed (kill -9) mid-way and restarted: no delete skipped, none repeated."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from chatbot.config import Settings
from chatbot.migration.follow import FollowOptions
from chatbot.migration.jobs import JobRunner
from chatbot.migration.store import JobStore
from chatbot.services import Services
from tests.export.test_live import records
from tests.migration.test_follow_bluesky import fake_dids, follow_subjects
from tests.servers.atproto import PASSWORD, AtprotoNetwork
from tests.undo.live import xrpc
from tests.undo.run_undo_job import SlowUndoWriter, login

REPO = Path(__file__).resolve().parents[2]
TARGETS = 600


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    services = await Services.start(settings, processes=False)
    yield services
    await services.close()


def _undone(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        query = "select count(*) from follow_log where status = 'undone'"
        return int(conn.execute(query).fetchone()[0])


async def test_killed_mid_way_and_restarted_deletes_each_follow_once(
    atproto_network: AtprotoNetwork, settings: Settings, services: Services, tmp_path: Path
) -> None:
    net = atproto_network
    account = net.create_account("k" + str(os.getpid()) + str(int(time.time()))[-5:])
    await asyncio.to_thread(net.wait_for_profiles, [account.did])
    writer = await login(net.pds_url, account.handle, PASSWORD)

    async def factory(*_: Any) -> SlowUndoWriter:
        return writer

    user = await services.users.get_or_create("telegram", "kill")
    options = FollowOptions(pace=False, hour_points=10**7, day_points=10**8)
    follows = JobRunner(services, {}, writer_factory=factory, options=options)
    made = await follows.submit(user.id, "bluesky", fake_dids(TARGETS))
    await follows.idle()
    assert (await follows.store.get(made.id)).done == TARGETS  # type: ignore[union-attr]
    assert len(follow_subjects(net.pds_url, account.did)) == TARGETS

    # the user unfollows three of them in their app first: a record already gone
    for record in records(net.pds_url, account.did, "app.bsky.graph.follow")[:3]:
        await asyncio.to_thread(xrpc, net, account, "com.atproto.repo.deleteRecord",
                                repo=account.did, collection="app.bsky.graph.follow",
                                rkey=record["uri"].rsplit("/", 1)[1])  # fmt: skip
    params = {"kinds": ["follows"], "account": account.did}
    job = await JobStore(services.db).create(user.id, "undo_bluesky", params, TARGETS)
    db, sent = settings.data_dir / "chatbot.sqlite3", tmp_path / "sent.txt"
    cmd = [sys.executable, "-m", "tests.undo.run_undo_job", str(settings.data_dir),
           net.pds_url, account.handle, PASSWORD, "0.4", str(sent)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    first = subprocess.Popen(cmd, cwd=REPO, env=env)  # noqa: ASYNC220
    deadline = time.monotonic() + 90
    while _undone(db) < 100 and first.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # inside the next batch's window: deleted, not yet logged
    first.send_signal(signal.SIGKILL)
    first.wait()
    left = len(follow_subjects(net.pds_url, account.did))
    logged = _undone(db)
    assert 0 < left < TARGETS, "killed after some deletes, before the end"
    assert TARGETS - left > logged, "the kill fell between a batch's delete and its log"

    second = await asyncio.to_thread(subprocess.run, cmd, cwd=REPO, env=env, timeout=180)
    assert second.returncode == 0
    final = await JobStore(services.db).get(job.id)
    assert final is not None and final.state == "done"
    assert (final.done, final.skipped, final.failed) == (TARGETS, 0, 0)  # nothing skipped
    assert follow_subjects(net.pds_url, account.did) == []  # everything gone
    answered = Counter(sent.read_text().split())
    # the three already gone were counted done without a delete; every other, once
    assert len(answered) == TARGETS - 3 and max(answered.values()) == 1
    assert _undone(db) == TARGETS
