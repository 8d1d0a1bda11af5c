"""The follow jobs themselves: Bluesky in budgeted applyWrites batches, Mastodon one by one.

Both start from the database: targets already in the follow log are never sent again.
Bluesky also reads the account's own follow records first and skips them; before each
batch it saves the batch as "in flight", so when a crash falls between the server's write
and the log, the next start finds those follows on the account and logs them as made,
never sending them twice. A batch answered by a 5xx or a network error may have been
written too (a gateway timing out after the PDS committed): before it is sent again, the
account's follows are read once more and what landed is logged, not re-sent.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from chatbot.migration.budget import DAY_POINTS, HOUR_POINTS, PointsBudget
from chatbot.migration.budget_store import BudgetStore
from chatbot.migration.job_view import UNAVAILABLE
from chatbot.migration.store import Job, JobStore, LogEntry
from chatbot.migration.writers import (
    BlueskyFollowWriter,
    MastodonFollowWriter,
    RateLimitedError,
    WriterError,
)

log = logging.getLogger(__name__)

MASTODON_DAILY_FOLLOWS = 400  # app/lib/rate_limiter.rb, per UTC day
RETRY_S = (5.0, 30.0, 120.0, 600.0)


class JobIO(Protocol):
    store: JobStore
    budgets: BudgetStore  # the account's points budget, shared by all its jobs

    def now(self) -> float:
        """Epoch seconds (a simulated clock in tests)."""
        ...

    async def sleep(self, job: Job, seconds: float) -> bool:
        """Wait (recording next_run_at); False when the job was paused or cancelled meanwhile."""
        ...

    async def active(self, job: Job) -> bool:
        """Still running (not paused or cancelled from the chat)."""
        ...

    async def report(self, job: Job) -> None:
        """Show the progress (throttled)."""
        ...


@dataclass
class FollowOptions:
    headroom: float = 0.8
    batch_size: int = 200
    pace: bool = True
    mastodon_daily: int = MASTODON_DAILY_FOLLOWS
    hour_points: int = HOUR_POINTS  # the documented limits; raised only for local networks
    day_points: int = DAY_POINTS


async def retry_later(
    io: JobIO, job: Job, attempt: int, exc: WriterError, checkpoint: dict[str, Any]
) -> bool:
    """Wait before trying again after a server error (5 s, 30 s, 2 min, 10 min).

    The attempt is saved in the checkpoint, so retries handed to the queue (a worker does
    not sit through long waits) keep counting; after the last one the job is paused as
    "unavailable" (nothing lost: /resume), instead of trying forever."""
    if attempt >= len(RETRY_S):
        raise WriterError(UNAVAILABLE) from exc
    wait = RETRY_S[attempt]
    log.info("job %d: %s, trying again in %.0f s", job.id, exc.code, wait)
    await io.store.save_checkpoint(
        job.id, {**checkpoint, "attempt": attempt + 1}, next_run_at=utc_at(io.now() + wait)
    )
    return await io.sleep(job, wait)


async def follow_bluesky(
    job: Job, writer: BlueskyFollowWriter, io: JobIO, options: FollowOptions
) -> bool:
    """Follow the job's DIDs; True when every target was handled."""
    store = io.store
    budget = PointsBudget(
        options.headroom,
        hour_points=options.hour_points,
        day_points=options.day_points,
        max_batch=options.batch_size,
        pace=options.pace,
    )
    saved = await io.budgets.load(job.user_id, "bluesky")
    budget.restore(saved if saved is not None else job.checkpoint.get("budget"))
    batches = int(job.checkpoint.get("batches", 0))
    logged = await store.logged(job.user_id, "bluesky")
    existing = await writer.existing_follows()
    inflight = set(job.checkpoint.get("inflight") or ())
    targets = list(dict.fromkeys(job.params.get("targets") or ()))
    found = [
        LogEntry(did, "followed" if did in inflight else "already", existing[did])
        for did in targets
        if did in existing and did not in logged
    ]

    def checkpoint(flight: list[str] | None = None) -> dict[str, object]:
        return {"budget": budget.state(), "batches": batches, "inflight": flight or []}

    async def keep_budget() -> None:
        await io.budgets.save(job.user_id, "bluesky", budget.state())

    await store.record(job, found, checkpoint())
    pending = [did for did in targets if did not in logged and did not in existing]
    limit, attempt = options.batch_size, int(job.checkpoint.get("attempt", 0))
    sent: list[str] = []  # the batch of a failed write, until the account was read again
    while pending:
        if not await io.active(job):
            return False
        if sent:
            try:
                pending = await _drop_landed(job, writer, store, pending, sent, checkpoint())
            except WriterError as exc:
                if not exc.retry:
                    raise
                attempt += 1
                if not await retry_later(io, job, attempt - 1, exc, checkpoint(sent)):
                    return False
                continue
            sent = []
            if not pending:
                break
        now = io.now()
        plan = budget.plan(now, min(len(pending), limit))
        if plan.writes == 0:
            await store.save_checkpoint(
                job.id, checkpoint(), next_run_at=utc_at(now + plan.wait_s)
            )
            if not await io.sleep(job, plan.wait_s):
                return False
            continue
        batch = pending[: plan.writes]
        await store.save_checkpoint(job.id, checkpoint(batch))
        budget.spend(now, len(batch))  # rejected writes may count too (§3.1)
        await keep_budget()
        try:
            result = await writer.create_follows(batch)
        except RateLimitedError as exc:
            wait = budget.rate_limited(io.now(), exc.headers)
            await keep_budget()
            await store.save_checkpoint(job.id, checkpoint(), next_run_at=utc_at(io.now() + wait))
            if not await io.sleep(job, wait):
                return False
            continue
        except WriterError as exc:
            if exc.retry:
                sent, attempt = batch, attempt + 1
                if not await retry_later(io, job, attempt - 1, exc, checkpoint(batch)):
                    return False
                continue
            if len(batch) > 1:  # an atomic batch refused: find the bad target by halving
                limit = max(1, len(batch) // 2)
                continue
            await store.record(job, [LogEntry(batch[0], "failed", exc.code)], checkpoint())
            pending = pending[1:]
            continue
        attempt = 0
        budget.observe(io.now(), result.headers)
        await keep_budget()
        batches += 1
        uris = result.uris + [""] * (len(batch) - len(result.uris))
        pairs = zip(batch, uris[: len(batch)], strict=True)
        entries = [LogEntry(did, "followed", uri or None) for did, uri in pairs]
        await store.record(job, entries, checkpoint())
        pending = pending[len(batch) :]
        limit = options.batch_size
        await io.report(job)
    return True


async def _drop_landed(
    job: Job,
    writer: BlueskyFollowWriter,
    store: JobStore,
    pending: list[str],
    sent: list[str],
    point: dict[str, object],
) -> list[str]:
    """Log the pending targets the account follows by now (`sent`: written by the failed
    batch); the others, still to send."""
    existing = await writer.existing_follows()
    landed = [
        LogEntry(did, "followed" if did in sent else "already", existing[did])
        for did in pending
        if did in existing
    ]
    if landed:
        log.info("job %d: %d follows of a failed batch had landed", job.id, len(landed))
        await store.record(job, landed, point)
    return [did for did in pending if did not in existing]


def utc_at(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def _day_start(epoch: float) -> dt.datetime:
    return utc_at(epoch).replace(hour=0, minute=0, second=0, microsecond=0)


async def follow_mastodon(
    job: Job, writer: MastodonFollowWriter, io: JobIO, options: FollowOptions
) -> bool:
    """Follow the job's accts (their `moved` target instead when they moved)."""
    store = io.store
    logged = await store.logged(job.user_id, "mastodon")
    pending = [
        acct for acct in dict.fromkeys(job.params.get("targets") or ()) if acct not in logged
    ]
    attempt = int(job.checkpoint.get("attempt", 0))
    while pending:
        if not await io.active(job):
            return False
        acct, now = pending[0], io.now()
        today = _day_start(now)
        if await store.count_since(job.user_id, "mastodon", today) >= options.mastodon_daily:
            tomorrow = (today + dt.timedelta(days=1)).timestamp() + 1
            await store.save_checkpoint(job.id, {}, next_run_at=utc_at(tomorrow))
            if not await io.sleep(job, tomorrow - now):
                return False
            continue
        try:
            entry = await _follow_one(writer, acct)
        except RateLimitedError as exc:
            wait = max(5.0, (exc.reset_at or now + 300) - io.now())
            if not await io.sleep(job, wait):
                return False
            continue
        except WriterError as exc:
            if exc.retry:
                attempt += 1
                if not await retry_later(io, job, attempt - 1, exc, {"last": acct}):
                    return False
                continue
            entry = LogEntry(acct, "failed", exc.code)
        attempt = 0
        await store.record(job, [entry], {"last": acct}, now=utc_at(io.now()))
        pending = pending[1:]
        await io.report(job)
    return True


async def _follow_one(writer: MastodonFollowWriter, acct: str) -> LogEntry:
    account = await writer.lookup(acct)
    if account is None:
        return LogEntry(acct, "skipped", "not_found")
    target, hops = account, 0
    while target.moved_to is not None and hops < 3:  # follow the account they moved to
        target, hops = target.moved_to, hops + 1
    state = await writer.follow(target.id)
    note = f"moved:{target.acct}" if target is not account else None
    return LogEntry(acct, state, note)
