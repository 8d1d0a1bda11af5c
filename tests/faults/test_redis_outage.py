"""Redis away for 30 s (a crash, then a restart on the same port with its append-only file).

A /follow sent meanwhile is kept in the database and runs once Redis is back (the front
end's sweep enqueues due jobs); an archive sent meanwhile is refused with the "send it
again" notice and nothing is kept; replies a worker wrote to the outbox before the crash
are delivered after it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import chatbot.queue.runner
from chatbot.config import Settings
from chatbot.platforms.base import Text
from chatbot.queue.outbox import OutboxPlatform
from devtools.archivegen import ArchiveSpec, generate
from tests.conftest import server_unavailable
from tests.conversation.harness import start_follow
from tests.faults.harness import (
    FrontEnd,
    connect_mover,
    fake_dids,
    scaled_settings,
    subjects_on_pds,
    t,
    texts,
)
from tests.servers.atproto import AtprotoNetwork, AtprotoUnavailable
from tests.servers.private import PrivateRedis

TARGETS = 100
DOWN_S = 30.0
SWEEP_S = 2.0


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    try:
        server = PrivateRedis.start()
    except (AtprotoUnavailable, OSError) as exc:
        server_unavailable(f"a private Redis: {exc}")
        raise
    yield server
    server.close()


async def test_a_follow_sent_while_redis_is_down_runs_once_it_is_back(
    settings: Settings,
    atproto_network: AtprotoNetwork,
    postgres_url: str,
    private_redis: PrivateRedis,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    net = atproto_network
    monkeypatch.setattr(chatbot.queue.runner, "SWEEP_S", SWEEP_S)
    scaled = scaled_settings(settings, net, postgres_url, private_redis.url)
    front = await FrontEnd.start(scaled, relay=False)
    try:
        targets = fake_dids(TARGETS)
        owner, user_id = await connect_mover(front, net, targets)
        worker = front.worker("worker")
        outbox = OutboxPlatform("console", front.services.queue.queue.redis)
        for n in range(3):  # what a worker wrote, not yet delivered by a front end
            await outbox.send(front.chat.chat, Text(f"written before the outage ({n})"))
        archive = generate(ArchiveSpec(era="H", tweets=20, seed=7), tmp_path / "x.zip").path

        await asyncio.to_thread(private_redis.kill)
        down_at = time.monotonic()
        follow = texts(await start_follow(front.chat, "/follow bluesky"))
        assert f"following {TARGETS} accounts on Bluesky" in follow
        upload = texts(await front.chat.upload(archive))
        assert t("upload.busy") in upload
        assert not any(p.is_file() for p in scaled.uploads_dir.rglob("*")), "nothing kept"
        job = await front.store.latest(user_id)
        assert job is not None and job.state == "queued"

        await asyncio.sleep(DOWN_S - (time.monotonic() - down_at))
        job = await front.store.get(job.id)
        assert job is not None and (job.state, job.done) == ("queued", 0)  # kept, waiting
        assert await subjects_on_pds(net, owner.did) == []
        await asyncio.to_thread(private_redis.restart)
        up_at = time.monotonic()
        front.start_relay()

        running = await front.job_until(job.id, lambda j: j.state != "queued", within_s=60)
        started_s = time.monotonic() - up_at
        final = await front.job_until(job.id, lambda j: j.state == "done", within_s=60)
        done_s = time.monotonic() - up_at
        await front.until(lambda: "written before the outage (2)" in front.shown(), 30)
        await front.until(lambda: t("follow.state.done", network="Bluesky") in front.shown())
        delivered_s = time.monotonic() - up_at
        shown = front.shown()
        assert [f"written before the outage ({n})" in shown for n in range(3)] == [True] * 3
        assert (final.done, final.failed) == (TARGETS, 0), running
        subjects = await subjects_on_pds(net, owner.did)
        assert sorted(subjects) == sorted(targets)
        assert worker.alive(), f"the worker outlived the outage:\n{worker.tail()}"
        print(
            f"\nFAULTS redis-outage: Redis down {up_at - down_at:.1f} s; the job kept in the "
            f"database started {started_s:.1f} s after Redis came back (sweep every "
            f"{SWEEP_S:.0f} s) and finished {done_s:.1f} s after it; the 3 outbox replies "
            f"written before the crash were all shown {delivered_s:.1f} s after it"
        )
    finally:
        await front.close()
