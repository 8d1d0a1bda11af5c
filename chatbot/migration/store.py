"""The jobs table and the follow log: job state, counters and checkpoints in the database.

`record` writes a batch's log rows, the counters and the new checkpoint in one
transaction, so after a crash the database says exactly which follows were made. The
follow log is unique per (user, network, target): a target logged once is never followed
again, by this job or any later one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from chatbot.ops.metrics import FOLLOWS
from chatbot.storage.db import Database
from chatbot.storage.schema import follow_log, jobs

State = Literal["queued", "running", "paused", "done", "failed", "cancelled"]
ACTIVE: tuple[State, ...] = ("queued", "running", "paused")
RUNNABLE: tuple[State, ...] = ("queued", "running")
LogStatus = Literal[
    "followed", "already", "requested", "skipped", "failed", "blocked", "muted", "undone"
]
COUNTER: dict[str, str] = {
    "followed": "done",
    "requested": "done",
    "blocked": "done",
    "muted": "done",
    "already": "skipped",
    "skipped": "skipped",
    "failed": "failed",
}
# The follow log also keeps the blocks and mutes a job made, under their own "network"
# (a DID may be followed and, another day, blocked: each is logged once).
BLOCKS, MUTES = "bluesky_block", "bluesky_mute"
SKIP_REASONS = ("already", "self", "blocked", "not_found")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Job:
    id: int
    user_id: int
    kind: str
    state: State
    params: dict[str, Any]
    total: int
    done: int
    skipped: int
    failed: int
    checkpoint: dict[str, Any]
    next_run_at: dt.datetime | None
    last_error: str | None
    created_at: dt.datetime

    @property
    def network(self) -> str:
        """follow_bluesky, import_bluesky -> bluesky."""
        return self.kind.partition("_")[2] or self.kind

    @property
    def action(self) -> str:
        """follow_bluesky -> follow; undo_mastodon -> undo; import_bluesky -> import."""
        return self.kind.partition("_")[0]

    @property
    def is_import(self) -> bool:
        return self.kind.startswith("import_")

    @property
    def handled(self) -> int:
        return self.done + self.skipped + self.failed


@dataclass(frozen=True)
class LogEntry:
    target: str
    status: LogStatus
    uri: str | None = None


def counted(job_id: int, checkpoint: dict[str, Any], done: int, skipped: int, failed: int) -> Any:
    """The statement adding to a job's counters and saving its checkpoint (run it in the
    transaction that logs what was counted)."""
    return (
        update(jobs)
        .where(jobs.c.id == job_id)
        .values(
            done=jobs.c.done + done,
            skipped=jobs.c.skipped + skipped,
            failed=jobs.c.failed + failed,
            checkpoint=checkpoint,
            next_run_at=None,
            updated_at=utc_now(),
        )
    )


def _job(row: Any) -> Job:
    return Job(
        id=row.id,
        user_id=row.user_id,
        kind=row.kind,
        state=row.state,
        params=dict(row.params or {}),
        total=row.total,
        done=row.done,
        skipped=row.skipped,
        failed=row.failed,
        checkpoint=dict(row.checkpoint or {}),
        next_run_at=row.next_run_at,
        last_error=row.last_error,
        created_at=row.created_at,
    )


class JobStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, user_id: int, kind: str, params: dict[str, Any], total: int) -> Job:
        now = utc_now()
        values = {"user_id": user_id, "kind": kind, "state": "queued", "params": params,
                  "total": total, "done": 0, "skipped": 0, "failed": 0, "checkpoint": {},
                  "created_at": now, "updated_at": now}  # fmt: skip
        async with self.db.begin() as conn:
            result = await conn.execute(insert(jobs).values(**values).returning(jobs.c.id))
            job_id = int(result.scalar_one())
        job = await self.get(job_id)
        assert job is not None
        return job

    async def get(self, job_id: int) -> Job | None:
        async with self.db.begin() as conn:
            row = (await conn.execute(select(jobs).where(jobs.c.id == job_id))).first()
        return _job(row) if row else None

    async def for_user(self, user_id: int, states: Sequence[State] = ACTIVE) -> list[Job]:
        query = select(jobs).where(jobs.c.user_id == user_id, jobs.c.state.in_(states))
        async with self.db.begin() as conn:
            rows = (await conn.execute(query.order_by(jobs.c.id))).all()
        return [_job(row) for row in rows]

    async def latest(self, user_id: int) -> Job | None:
        query = select(jobs).where(jobs.c.user_id == user_id).order_by(jobs.c.id.desc())
        async with self.db.begin() as conn:
            row = (await conn.execute(query.limit(1))).first()
        return _job(row) if row else None

    async def runnable_users(self) -> list[int]:
        """Users with a queued or running job (running ones were cut off by a stop)."""
        query = select(jobs.c.user_id).where(jobs.c.state.in_(RUNNABLE)).distinct()
        async with self.db.begin() as conn:
            return sorted(int(uid) for uid in (await conn.execute(query)).scalars())

    async def due_users(self, now: dt.datetime) -> list[int]:
        """Users with a queued or running job whose wait (if any) is over."""
        due = or_(jobs.c.next_run_at.is_(None), jobs.c.next_run_at <= now)
        query = select(jobs.c.user_id).where(jobs.c.state.in_(RUNNABLE), due).distinct()
        async with self.db.begin() as conn:
            return sorted(int(uid) for uid in (await conn.execute(query)).scalars())

    async def set_state(
        self,
        job_id: int,
        state: State,
        *,
        only_from: Sequence[State] | None = None,
        error: str | None = None,
        next_run_at: dt.datetime | None = None,
    ) -> bool:
        """Change the state (only from `only_from` states when given); whether it changed."""
        where = [jobs.c.id == job_id]
        if only_from is not None:
            where.append(jobs.c.state.in_(only_from))
        values: dict[str, Any] = {"state": state, "updated_at": utc_now()}
        values["next_run_at"] = next_run_at
        if error is not None or state in ("done", "queued"):
            values["last_error"] = error
        async with self.db.begin() as conn:
            result = await conn.execute(update(jobs).where(and_(*where)).values(**values))
        return bool(result.rowcount)

    async def save_checkpoint(
        self, job_id: int, checkpoint: dict[str, Any], *, next_run_at: dt.datetime | None = None
    ) -> None:
        async with self.db.begin() as conn:
            await conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(checkpoint=checkpoint, next_run_at=next_run_at, updated_at=utc_now())
            )

    async def record(
        self,
        job: Job,
        entries: Iterable[LogEntry],
        checkpoint: dict[str, Any],
        *,
        now: dt.datetime | None = None,
        log: str | None = None,
    ) -> int:
        """Log `entries` (ignoring targets logged before, unless undone since), count
        them, save `checkpoint`. `log`: the log's network (blocks, mutes), else the job's."""
        counts = {"done": 0, "skipped": 0, "failed": 0}
        followed = 0
        now = now or utc_now()
        async with self.db.begin() as conn:
            for entry in entries:
                if await self._log(conn, job, entry, now, log or job.network):
                    counts[COUNTER[entry.status]] += 1
                    followed += entry.status == "followed"
            await conn.execute(
                update(jobs)
                .where(jobs.c.id == job.id)
                .values(
                    done=jobs.c.done + counts["done"],
                    skipped=jobs.c.skipped + counts["skipped"],
                    failed=jobs.c.failed + counts["failed"],
                    checkpoint=checkpoint,
                    updated_at=now,
                )
            )
        FOLLOWS.labels(network=job.network).inc(followed)
        return sum(counts.values())

    async def count(
        self,
        job_id: int,
        checkpoint: dict[str, Any],
        *,
        done: int = 0,
        skipped: int = 0,
        failed: int = 0,
    ) -> None:
        """Add to the counters and save `checkpoint` in one transaction (jobs without a log)."""
        async with self.db.begin() as conn:
            await conn.execute(counted(job_id, checkpoint, done, skipped, failed))

    async def _log(
        self, conn: AsyncConnection, job: Job, entry: LogEntry, now: Any, network: str
    ) -> bool:
        maker = sqlite_insert if self.db.is_sqlite else pg_insert
        values = {"job_id": job.id, "status": entry.status, "uri": entry.uri, "created_at": now}
        statement = maker(follow_log).values(
            user_id=job.user_id, network=network, target=entry.target, **values
        )
        statement = statement.on_conflict_do_update(  # a target undone may be made again
            index_elements=["user_id", "network", "target"],
            set_=values,
            where=follow_log.c.status == "undone",
        )
        return bool((await conn.execute(statement)).rowcount)

    async def logged(self, user_id: int, network: str) -> set[str]:
        """Every target already handled for this user on this network (and not undone)."""
        query = select(follow_log.c.target).where(
            follow_log.c.user_id == user_id,
            follow_log.c.network == network,
            follow_log.c.status != "undone",
        )
        async with self.db.begin() as conn:
            return set((await conn.execute(query)).scalars())

    async def log_for(self, job_id: int) -> dict[str, LogEntry]:
        query = select(follow_log).where(follow_log.c.job_id == job_id)
        async with self.db.begin() as conn:
            rows = (await conn.execute(query)).all()
        return {row.target: LogEntry(row.target, row.status, row.uri) for row in rows}

    async def skip_reasons(self, job_id: int) -> dict[str, int]:
        """Why the job's targets were skipped: already followed, self, blocked, not found."""
        uri = func.coalesce(follow_log.c.uri, "")
        reason = case((follow_log.c.status == "already", "already"), else_=uri)
        query = (
            select(reason, func.count())
            .where(follow_log.c.job_id == job_id, follow_log.c.status.in_(("already", "skipped")))
            .group_by(reason)
        )
        async with self.db.begin() as conn:
            rows = (await conn.execute(query)).all()
        return {str(r): int(n) for r, n in rows if r in SKIP_REASONS}

    async def count_since(self, user_id: int, network: str, since: dt.datetime) -> int:
        """Follows made (followed or requested) since `since`: the Mastodon daily cap."""
        query = select(func.count()).where(
            follow_log.c.user_id == user_id,
            follow_log.c.network == network,
            follow_log.c.status.in_(("followed", "requested", "undone")),  # undone: still made
            follow_log.c.created_at >= since,
        )
        async with self.db.begin() as conn:
            return int((await conn.execute(query)).scalar_one())
