"""Mastodon follow jobs: one follow at a time within 400 a day, relationships in batches.

Accounts are looked up (their `moved` target followed instead), then one
``GET /api/v1/accounts/relationships`` per 40 says which ones the user already follows
(or asked to follow), blocks or mutes: those are skipped and logged with their reason,
as is the connected account itself. Follows made through the API count against
Mastodon's 400 a day (`app/lib/rate_limiter.rb`, per UTC day); the job waits for the
next day rather than be refused.
"""

from __future__ import annotations

import datetime as dt

from chatbot.migration.follow import FollowOptions, JobIO, day_start, retry_later, utc_at
from chatbot.migration.store import Job, LogEntry
from chatbot.migration.writers import (
    RELATIONSHIPS_BATCH,
    MastoAccount,
    MastodonFollowWriter,
    RateLimitedError,
    WriterError,
)

Step = LogEntry | tuple[MastoAccount, str | None]  # logged as is, or (account to follow, note)


async def follow_mastodon(
    job: Job, writer: MastodonFollowWriter, io: JobIO, options: FollowOptions
) -> bool:
    """Follow the job's accts (their `moved` target instead when they moved)."""
    store = io.store
    logged = await store.logged(job.user_id, "mastodon")
    own = {acct.lower() for acct in job.params.get("self") or ()}
    pending = [
        acct for acct in dict.fromkeys(job.params.get("targets") or ()) if acct not in logged
    ]
    attempt = int(job.checkpoint.get("attempt", 0))
    me: str | None = None
    while pending:
        if not await io.active(job):
            return False
        handled = 0  # of the chunk, in the order of `pending`
        try:
            me = me or (await writer.me()).id
            steps = await _resolve(writer, pending[:RELATIONSHIPS_BATCH], own, me)
            for acct, step in steps:
                if not await io.active(job) or not await _daily_room(job, io, options):
                    return False
                entry = step if isinstance(step, LogEntry) else await _follow(writer, acct, step)
                attempt = 0
                await store.record(job, [entry], {"last": acct}, now=utc_at(io.now()))
                handled += 1
                await io.report(job)
        except RateLimitedError as exc:
            wait = max(5.0, (exc.reset_at or io.now() + 300) - io.now())
            if not await io.sleep(job, wait):
                return False
        except WriterError as exc:
            if not exc.retry:
                raise
            attempt += 1
            if not await retry_later(io, job, attempt - 1, exc, {"last": pending[handled]}):
                return False
        finally:
            pending = pending[handled:]
    return True


async def _resolve(
    writer: MastodonFollowWriter, chunk: list[str], own: set[str], me: str
) -> list[tuple[str, Step]]:
    """Each acct of `chunk` with what to do: skip it (and why) or follow an account."""
    accounts: dict[str, MastoAccount | None] = {}
    for acct in chunk:
        if acct.lower() in own:  # the user's own account, by its address: no lookup
            accounts[acct] = MastoAccount(me, acct)
            continue
        account = await writer.lookup(acct)
        hops = 0
        while account is not None and account.moved_to is not None and hops < 3:
            account, hops = account.moved_to, hops + 1  # follow the account they moved to
        accounts[acct] = account
    ids = [a.id for a in accounts.values() if a is not None and a.id != me]
    relations = await writer.relationships(ids) if ids else {}
    steps: list[tuple[str, Step]] = []
    for acct, account in accounts.items():
        note = f"moved:{account.acct}" if account and account.acct != acct else None
        relation = relations.get(account.id) if account is not None else None
        if account is None:
            step: Step = LogEntry(acct, "skipped", "not_found")
        elif account.id == me or acct.lower() in own or account.acct.lower() in own:
            step = LogEntry(acct, "skipped", "self")
        elif relation is not None and relation.blocking:
            step = LogEntry(acct, "skipped", "blocked")
        elif relation is not None and relation.following:
            step = LogEntry(acct, "already", note)
        else:
            step = (account, note)
        steps.append((acct, step))
    return steps


async def _follow(
    writer: MastodonFollowWriter, acct: str, step: tuple[MastoAccount, str | None]
) -> LogEntry:
    account, note = step
    try:
        state = await writer.follow(account.id)
    except WriterError as exc:
        if exc.retry:
            raise
        return LogEntry(acct, "failed", exc.code)
    return LogEntry(acct, state, note)


async def _daily_room(job: Job, io: JobIO, options: FollowOptions) -> bool:
    """Wait for the next UTC day when today's follows are used up; False when stopped."""
    while True:
        now = io.now()
        today = day_start(now)
        if await io.store.count_since(job.user_id, "mastodon", today) < options.mastodon_daily:
            return True
        tomorrow = (today + dt.timedelta(days=1)).timestamp() + 1
        await io.store.save_checkpoint(job.id, {}, next_run_at=utc_at(tomorrow))
        if not await io.sleep(job, tomorrow - now):
            return False
