"""429 and 5xx answers from Bluesky (the fault proxy in front of the PDS), mid-job.

A 503 is retried after 5 s; a 504 that came after the PDS wrote the batch (a gateway
timing out) is not re-sent: the account is read again first; a 429 makes the job wait
for ``RateLimit-Reset`` (the worker hands the wait to the queue) and the user's progress
message says it waits for the network's limits. Every target is followed exactly once.
"""

from __future__ import annotations

import time

from chatbot.config import Settings
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
from tests.servers.atproto import AtprotoNetwork
from tests.servers.faultproxy import FaultProxy, Served, rate_limit_headers

TARGETS = 300
RESET_IN_S = 25.0  # longer than DEFER_S: the worker is freed, the queue wakes the job


def after(proxy: FaultProxy, status: int) -> tuple[Served, Served]:
    """The applyWrites answered `status`, and the next one that went through (200)."""
    writes = [s for s in proxy.served if "applyWrites" in s.path]
    index = next(i for i, s in enumerate(writes) if s.status == status)
    return writes[index], next(s for s in writes[index + 1 :] if s.status == 200)


async def test_rate_limits_and_server_errors_delay_the_job_but_lose_nothing(
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
        proxy.delay_s = 0.2
        front.worker("worker")
        assert f"following {TARGETS} accounts" in texts(
            await start_follow(front.chat, "/follow bluesky")
        )
        job = await front.store.latest(user_id)
        assert job is not None

        await front.job_until(job.id, lambda j: j.done >= 2 * BATCH)
        proxy.fail(503, 1, "applyWrites")
        await front.job_until(job.id, lambda j: j.done >= 4 * BATCH)
        proxy.fail(504, 1, "applyWrites", forward=True)  # written, yet answered 504
        await front.job_until(job.id, lambda j: j.done >= 7 * BATCH)
        headers = rate_limit_headers(RESET_IN_S)
        reset = float(headers["RateLimit-Reset"])
        proxy.fail(429, 1, "applyWrites", headers=headers)
        waiting = t("follow.waiting", when="\0").split("\0")[0]
        await front.until(lambda: waiting in front.shown(), within_s=60)
        seen_waiting_at = time.time()

        final = await front.job_until(job.id, lambda j: j.state == "done", within_s=120)
        await front.until(lambda: t("follow.state.done", network="Bluesky") in front.shown())
        assert (final.done + final.skipped, final.failed) == (TARGETS, 0)
        subjects = await subjects_on_pds(net, owner.did)
        assert len(subjects) == len(set(subjects)) == TARGETS  # nothing twice, nothing lost
        assert set(subjects) == set(targets)
        # every batch went through once: the 504's batch was found on the account
        assert proxy.count("applyWrites", 200) + 1 == -(-TARGETS // BATCH)

        failed_503, retried_503 = after(proxy, 503)
        failed_504, next_504 = after(proxy, 504)
        limited, resumed = after(proxy, 429)
        assert retried_503.at - failed_503.at >= 5.0  # RETRY_S[0]
        assert next_504.at - failed_504.at >= 5.0
        assert resumed.at >= reset - 0.01, "nothing sent before RateLimit-Reset"
        assert seen_waiting_at < reset, "the user saw the wait while it lasted"
        print(
            f"\nFAULTS bluesky-limits: {TARGETS} targets, batch {BATCH}; 503 retried after "
            f"{retried_503.at - failed_503.at:.1f} s; a 504 after the write: next batch "
            f"{next_504.at - failed_504.at:.1f} s later, nothing re-sent; 429 with reset in "
            f"{reset - limited.at:.1f} s: the user saw the wait "
            f"{seen_waiting_at - limited.at:.1f} s after it, the next batch went "
            f"{resumed.at - limited.at:.1f} s after it ({resumed.at - reset:+.1f} s from the "
            f"reset); {final.done} followed, {final.failed} failed, "
            f"{proxy.count('applyWrites', 200)} applyWrites went through"
        )
    finally:
        await front.close()
