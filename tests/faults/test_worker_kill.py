"""kill -9 of the worker running a follow job; a second worker finishes it.

The drain's heartbeat stops with the worker; saq's sweep (every 10 s) retries the drain on
the other worker, which resumes from the database checkpoint: the batch that was in
flight is found on the account (listRecords) and logged, never sent again.
"""

from __future__ import annotations

import asyncio
import time

from chatbot.config import Settings
from tests.conversation.harness import start_follow
from tests.faults.harness import (
    BATCH,
    FrontEnd,
    connect_mover,
    fake_dids,
    point_account_at,
    records_beyond,
    scaled_settings,
    subjects_on_pds,
    t,
    texts,
)
from tests.servers.atproto import AtprotoNetwork
from tests.servers.faultproxy import FaultProxy

TARGETS = 320


async def test_a_killed_worker_s_job_is_finished_by_another_worker(
    settings: Settings,
    atproto_network: AtprotoNetwork,
    proxy: FaultProxy,
    postgres_url: str,
    redis_url: str,
) -> None:
    net = atproto_network
    front = await FrontEnd.start(scaled_settings(settings, net, postgres_url, redis_url))
    try:
        targets = fake_dids(TARGETS)
        owner, user_id = await connect_mover(front, net, targets)
        await point_account_at(front, user_id, proxy.url)
        proxy.delay_s = 0.3  # about 0.5 s a batch: the kill lands mid-job
        first = front.worker("worker-1")
        replies = await start_follow(front.chat, "/follow bluesky")
        assert f"following {TARGETS} accounts on Bluesky" in texts(replies)
        job = await front.store.latest(user_id)
        assert job is not None and job.state in ("queued", "running")

        await front.job_until(job.id, lambda j: j.done >= 3 * BATCH, within_s=90)
        # the next batch reaches the PDS, and its answer is held: the kill lands between
        # the server's write and the job's log of it
        proxy.fail(504, 1, "applyWrites", forward=True, hold_s=60)
        logged = (await front.store.get(job.id) or job).done
        await records_beyond(net, owner.did, logged)
        await asyncio.to_thread(first.kill)
        killed_at = time.monotonic()
        at_kill = await front.store.get(job.id)
        assert at_kill is not None and at_kill.done < TARGETS, "killed before the end"
        on_pds_at_kill = len(await subjects_on_pds(net, owner.did))
        assert on_pds_at_kill > at_kill.done, "a batch was written but not logged"
        front.worker("worker-2")

        moved = await front.job_until(job.id, lambda j: j.done > on_pds_at_kill, within_s=90)
        recovered_s = time.monotonic() - killed_at
        final = await front.job_until(job.id, lambda j: j.state == "done", within_s=120)
        finished_s = time.monotonic() - killed_at
        await front.until(lambda: t("follow.state.done", network="Bluesky") in front.shown())

        assert (final.done + final.skipped, final.failed) == (TARGETS, 0)
        subjects = await subjects_on_pds(net, owner.did)
        assert len(subjects) == len(set(subjects)) == TARGETS  # every target, exactly once
        assert set(subjects) == set(targets)
        # the held batch was sent once, by the killed worker; no batch was sent twice
        assert proxy.count("applyWrites", 200) + 1 == -(-TARGETS // BATCH)
        print(
            f"\nFAULTS worker-kill: {TARGETS} targets, batch {BATCH}; at the kill the job had "
            f"logged {at_kill.done} and the PDS held {on_pds_at_kill}; worker 2 made its first "
            f"follow {recovered_s:.1f} s after the kill (job at {moved.done}), the job finished "
            f"{finished_s:.1f} s after it; {final.done} followed, {final.failed} failed, "
            f"{len(subjects)} records on the PDS"
        )
    finally:
        await front.close()
