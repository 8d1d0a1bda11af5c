"""PostgreSQL stopped mid-job, then started again: the job pauses and goes on after.

The worker's drain fails with the database away (an infrastructure error: the job is not
marked failed) and saq retries it until PostgreSQL answers; the batch written while the
database could not log it is found on the account, not sent again. A command sent
meanwhile gets the "can't reach my database" notice, not an error reference.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from chatbot.config import Settings
from tests.conftest import server_unavailable
from tests.conversation.harness import start_follow
from tests.faults.harness import (
    BATCH,
    FrontEnd,
    connect_mover,
    fake_dids,
    point_account_at,
    scaled_settings,
    subjects_on_pds,
    t,
    texts,
)
from tests.servers.atproto import AtprotoNetwork, AtprotoUnavailable
from tests.servers.faultproxy import FaultProxy
from tests.servers.private import PrivatePostgres

TARGETS = 300
DOWN_S = 10.0


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    try:
        server = PrivatePostgres.start()
    except (AtprotoUnavailable, OSError) as exc:
        server_unavailable(f"a private PostgreSQL: {exc}")
        raise
    yield server
    server.close()


async def test_the_job_waits_for_postgresql_and_finishes_after_its_restart(
    settings: Settings,
    atproto_network: AtprotoNetwork,
    proxy: FaultProxy,
    private_pg: PrivatePostgres,
    redis_url: str,
) -> None:
    net = atproto_network
    front = await FrontEnd.start(scaled_settings(settings, net, private_pg.url, redis_url))
    try:
        targets = fake_dids(TARGETS)
        owner, user_id = await connect_mover(front, net, targets)
        await point_account_at(front, user_id, proxy.url)
        proxy.delay_s = 0.3
        front.worker("worker")
        assert f"following {TARGETS} accounts" in texts(
            await start_follow(front.chat, "/follow bluesky")
        )
        job = await front.store.latest(user_id)
        assert job is not None

        await front.job_until(job.id, lambda j: j.done >= 2 * BATCH, within_s=90)
        # the next batch's answer is held until PostgreSQL is down: it cannot be logged
        proxy.fail(504, 1, "applyWrites", forward=True, hold_s=3)
        await asyncio.sleep(0.5)
        before = await front.store.get(job.id)
        assert before is not None
        await asyncio.to_thread(private_pg.stop)
        stopped_at = time.monotonic()

        replies = await front.chat.say("/status")  # the front end cannot read the job
        assert t("error.unavailable") in texts(replies)
        await asyncio.sleep(DOWN_S - (time.monotonic() - stopped_at))
        on_pds_while_down = len(await subjects_on_pds(net, owner.did))
        await asyncio.to_thread(private_pg.restart)
        down_s = time.monotonic() - stopped_at

        moved = await front.job_until(job.id, lambda j: j.done > on_pds_while_down, 90)
        resumed_s = time.monotonic() - stopped_at - down_s
        final = await front.job_until(job.id, lambda j: j.state == "done", within_s=120)
        await front.until(lambda: t("follow.state.done", network="Bluesky") in front.shown())
        assert (final.done + final.skipped, final.failed) == (TARGETS, 0)
        assert final.last_error is None
        subjects = await subjects_on_pds(net, owner.did)
        assert len(subjects) == len(set(subjects)) == TARGETS
        assert set(subjects) == set(targets)
        status = texts(await front.chat.say("/status"))
        assert t("follow.state.done", network="Bluesky") in status
        print(
            f"\nFAULTS postgres-restart: {TARGETS} targets; job at {before.done} when "
            f"PostgreSQL stopped, down {down_s:.1f} s (the PDS held {on_pds_while_down}); "
            f"first follow logged {resumed_s:.1f} s after the restart (job at {moved.done}); "
            f"{final.done} followed, {final.failed} failed, {len(subjects)} records"
        )
    finally:
        await front.close()
