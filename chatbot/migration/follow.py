"""Bluesky follow (and block) jobs in budgeted applyWrites batches; the shared job I/O.

Jobs start from the database: targets already in the follow log are never sent again.
Bluesky also reads the account's own follow records first and skips them, and never
follows the account itself or an account it blocks (each skip is logged with its
reason, which /status shows). Follows of a member who joined through an organisation
point at its starter pack (`via`, a strongRef kept in the job's params). Before each
batch it saves the batch as "in flight", so when a crash falls between the server's write
and the log, the next start finds those follows on the account and logs them as made,
never sending them twice. A batch answered by a 5xx or a network error may have been
written too (a gateway timing out after the PDS committed): before it is sent again, the
account's follows are read once more and what landed is logged, not re-sent. Blocks go
the same way (`Graph`). Mastodon follows are in `follow_mastodon`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from chatbot.migration.budget import DAY_POINTS, HOUR_POINTS, PointsBudget
from chatbot.migration.budget_store import BudgetStore
from chatbot.migration.job_view import UNAVAILABLE
from chatbot.migration.store import Job, JobStore, LogEntry, LogStatus
from chatbot.migration.writers import (
    BatchResult,
    BlueskyFollowWriter,
    RateLimitedError,
    WriterError,
)

log = logging.getLogger(__name__)

MASTODON_DAILY_FOLLOWS = 400  # app/lib/rate_limiter.rb, per UTC day (follow_mastodon.py)
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


@dataclass(frozen=True)
class Graph:
    """What a subject-records job writes: follows, or blocks (the same batching)."""

    existing: Callable[[], Awaitable[dict[str, str]]]  # subject -> record URI on the account
    create: Callable[[list[str]], Awaitable[BatchResult]]
    log: str  # the follow log's "network"
    made: LogStatus  # followed | blocked


def follow_graph(job: Job, writer: BlueskyFollowWriter) -> Graph:
    via = job.params.get("via")  # the organisation's starter pack (a strongRef)

    async def create(batch: list[str]) -> BatchResult:
        if via:  # only then: writers of other jobs and tests need not know `via`
            return await writer.create_follows(batch, via=via)  # type: ignore[call-arg]
        return await writer.create_follows(batch)

    return Graph(writer.existing_follows, create, job.network, "followed")


async def follow_bluesky(
    job: Job, writer: BlueskyFollowWriter, io: JobIO, options: FollowOptions
) -> bool:
    """Follow the job's DIDs; True when every target was handled."""
    return await write_subjects(job, writer, io, options, follow_graph(job, writer))


async def _never(job: Job, writer: object) -> dict[str, str]:
    """Targets never to follow: the account itself, the accounts it blocks."""
    never = dict.fromkeys(job.params.get("self") or (), "self")
    own = getattr(writer, "did", None)  # stand-ins in tests may not know their account
    if isinstance(own, str):
        never[own] = "self"
    blocks = getattr(writer, "existing_blocks", None)
    if blocks is not None:
        for did in await blocks():
            never.setdefault(did, "blocked")
    return never


async def write_subjects(
    job: Job, writer: object, io: JobIO, options: FollowOptions, graph: Graph
) -> bool:
    """Create one record per target DID in budgeted batches; True when all were handled."""
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
    logged = await store.logged(job.user_id, graph.log)
    existing = await graph.existing()
    never = await _never(job, writer) if graph.made == "followed" else {}
    inflight = set(job.checkpoint.get("inflight") or ())
    targets = [did for did in dict.fromkeys(job.params.get("targets") or ()) if did not in logged]
    found = [
        LogEntry(did, graph.made if did in inflight else "already", existing[did])
        for did in targets
        if did in existing
    ]
    found += [LogEntry(did, "skipped", never[did]) for did in targets
              if did in never and did not in existing]  # fmt: skip

    def checkpoint(flight: list[str] | None = None) -> dict[str, object]:
        return {"budget": budget.state(), "batches": batches, "inflight": flight or []}

    async def keep_budget() -> None:
        await io.budgets.save(job.user_id, "bluesky", budget.state())

    await store.record(job, found, checkpoint(), log=graph.log)
    pending = [did for did in targets if did not in existing and did not in never]
    limit, attempt = options.batch_size, int(job.checkpoint.get("attempt", 0))
    sent: list[str] = []  # the batch of a failed write, until the account was read again
    while pending:
        if not await io.active(job):
            return False
        if sent:
            try:
                pending = await _drop_landed(job, graph, store, pending, sent, checkpoint())
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
            result = await graph.create(batch)
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
            failed = [LogEntry(batch[0], "failed", exc.code)]
            await store.record(job, failed, checkpoint(), log=graph.log)
            pending = pending[1:]
            continue
        attempt = 0
        budget.observe(io.now(), result.headers)
        await keep_budget()
        batches += 1
        uris = result.uris + [""] * (len(batch) - len(result.uris))
        pairs = zip(batch, uris[: len(batch)], strict=True)
        entries = [LogEntry(did, graph.made, uri or None) for did, uri in pairs]
        await store.record(job, entries, checkpoint(), log=graph.log)
        pending = pending[len(batch) :]
        limit = options.batch_size
        await io.report(job)
    return True


async def _drop_landed(
    job: Job,
    graph: Graph,
    store: JobStore,
    pending: list[str],
    sent: list[str],
    point: dict[str, object],
) -> list[str]:
    """Log the pending targets the account has records for by now (`sent`: written by
    the failed batch); the others, still to send."""
    existing = await graph.existing()
    landed = [
        LogEntry(did, graph.made if did in sent else "already", existing[did])
        for did in pending
        if did in existing
    ]
    if landed:
        log.info("job %d: %d records of a failed batch had landed", job.id, len(landed))
        await store.record(job, landed, point, log=graph.log)
    return [did for did in pending if did not in existing]


def utc_at(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def day_start(epoch: float) -> dt.datetime:
    return utc_at(epoch).replace(hour=0, minute=0, second=0, microsecond=0)
