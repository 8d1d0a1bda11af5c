"""The Bluesky undo job: deletes in budgeted applyWrites batches, unmutes, the profile.

What is taken back comes from the logs (`chatbot.undo.plan.gather`), read again at each
(re)start, so nothing is skipped. Before each batch its URIs are saved as "in flight";
after the PDS answers, the batch is marked undone with the job's counters in one
transaction. After a crash between the two, the in-flight records are looked up: those
gone are counted as done and never sent again (the PDS refuses a whole batch that
deletes a missing record). A batch refused for any reason is checked the same way.
Each delete costs 1 point of the account's budget (platform-limits §3.1), shared with
follows and imports; the profile's putRecord costs 2.
"""

from __future__ import annotations

import logging
from typing import Any

from chatbot.migration.budget import PointsBudget
from chatbot.migration.follow import FollowOptions, JobIO, retry_later, utc_at
from chatbot.migration.lists import LISTITEM
from chatbot.migration.store import Job
from chatbot.migration.undo_writer import AtprotoAccountWriter
from chatbot.migration.writers import RateLimitedError, WriterError
from chatbot.undo.plan import KINDS, gather
from chatbot.undo.profile import bluesky_record, picture, restorable
from chatbot.undo.store import Backup, Made, UndoStore

log = logging.getLogger(__name__)

DELETE_POINTS = 1
PUT_POINTS = 2


class BlueskyUndo:
    """One run of an undo job on Bluesky (made again on every resume)."""

    def __init__(
        self, job: Job, writer: AtprotoAccountWriter, io: JobIO, options: FollowOptions,
        store: UndoStore,
    ) -> None:  # fmt: skip
        self.job, self.writer, self.io, self.store = job, writer, io, store
        self.budget = PointsBudget(
            options.headroom,
            hour_points=options.hour_points,
            day_points=options.day_points,
            max_batch=options.batch_size,
            pace=options.pace,
            points_per_write=DELETE_POINTS,
        )
        self.limit = self.budget.max_batch
        self.attempt = int(job.checkpoint.get("attempt", 0))

    async def run(self) -> bool:
        job, io = self.job, self.io
        kinds = tuple(job.params.get("kinds") or KINDS)
        plan = await gather(self.store, job.user_id, "bluesky", kinds, self.writer.did)
        self.budget.restore(await io.budgets.load(job.user_id, "bluesky"))
        made = [
            m for kind in ("follows", "blocks", "posts", "lists") for m in plan.items.get(kind, ())
        ]
        deletes = await self._with_list_items([m for m in made if m.kind != "mute"])
        deletes = await self._settle(deletes)
        if not await self._delete(deletes):
            return False
        if not await self._unmute([m for m in made if m.kind == "mute"]):
            return False
        return plan.backup is None or await self._restore(plan.backup)

    def _checkpoint(self, inflight: list[Made] | None = None) -> dict[str, Any]:
        return {"inflight": [m.uri for m in inflight or ()], "attempt": self.attempt}

    async def _keep_budget(self) -> None:
        await self.io.budgets.save(self.job.user_id, "bluesky", self.budget.state())

    async def _with_list_items(self, deletes: list[Made]) -> list[Made]:
        """A list's items go just before the lists (after the starter packs using them)."""
        lists = {m.uri for m in deletes if m.kind in ("list", "packlist")}
        if not lists:
            return deletes
        items = [
            Made("listitem", uri, uri, None)
            async for uri, value in self.writer.records(LISTITEM)
            if value.get("list") in lists
        ]
        others = [m for m in deletes if m.uri not in lists]
        return others + items + [m for m in deletes if m.uri in lists]

    async def _settle(self, deletes: list[Made]) -> list[Made]:
        """After a crash mid-batch: what the batch deleted is counted, never sent again."""
        inflight = set(self.job.checkpoint.get("inflight") or ())
        if not inflight:
            return deletes
        gone = await self._gone([m for m in deletes if m.uri in inflight])
        await self.store.undone(self.job, gone, self._checkpoint())
        return [m for m in deletes if m not in gone]

    async def _gone(self, batch: list[Made]) -> set[Made]:
        return {m for m in batch if m.uri and not await self.writer.exists(m.uri)}

    async def _wait(self, seconds: float) -> bool:
        await self.io.store.save_checkpoint(
            self.job.id, self._checkpoint(), next_run_at=utc_at(self.io.now() + seconds)
        )
        return await self.io.sleep(self.job, seconds)

    async def _delete(self, pending: list[Made]) -> bool:
        job, io, store = self.job, self.io, self.store
        while pending:
            if not await io.active(job):
                return False
            now = io.now()
            plan = self.budget.plan(now, min(len(pending), self.limit))
            if plan.writes == 0:
                if not await self._wait(plan.wait_s):
                    return False
                continue
            batch = pending[: plan.writes]
            await io.store.save_checkpoint(job.id, self._checkpoint(batch))
            self.budget.spend(now, len(batch))
            await self._keep_budget()
            try:
                result = await self.writer.delete_records([m.uri or "" for m in batch])
            except RateLimitedError as exc:
                wait = self.budget.rate_limited(io.now(), exc.headers)
                await self._keep_budget()
                if not await self._wait(wait):
                    return False
                continue
            except WriterError as exc:
                gone = await self._gone(batch)  # deleted already (or by this very batch)
                if gone:
                    await store.undone(job, gone, self._checkpoint())
                    pending = [m for m in pending if m not in gone]
                    continue
                if exc.retry:
                    self.attempt += 1
                    point = self._checkpoint(batch)
                    if not await retry_later(io, job, self.attempt - 1, exc, point):
                        return False
                    continue
                if len(batch) > 1:  # refused: find the record at fault by halving
                    self.limit = max(1, len(batch) // 2)
                    continue
                log.info("job %d: a delete was refused (%s)", job.id, exc.code)
                await store.undone(
                    job, [], self._checkpoint(), failed=int(batch[0].ref is not None)
                )
                pending = pending[1:]
                continue
            self.attempt, self.limit = 0, self.budget.max_batch
            self.budget.observe(io.now(), result.headers)
            await self._keep_budget()
            await store.undone(job, batch, self._checkpoint())
            pending = pending[len(batch) :]
            await io.report(job)
        return True

    async def _unmute(self, mutes: list[Made]) -> bool:
        """Mutes are no records: unmuteActor one by one (repeating one is harmless)."""
        job, io = self.job, self.io
        while mutes:
            if not await io.active(job):
                return False
            try:
                await self.writer.unmute(mutes[0].target)
            except RateLimitedError:
                if not await self._wait(60.0):  # the AppView's limit: try again in a minute
                    return False
                continue
            except WriterError as exc:
                if exc.retry:
                    self.attempt += 1
                    if not await retry_later(io, job, self.attempt - 1, exc, self._checkpoint()):
                        return False
                    continue
                await self.store.undone(job, [], self._checkpoint(), failed=1)
                mutes = mutes[1:]
                continue
            self.attempt = 0
            await self.store.undone(job, mutes[:1], self._checkpoint())
            mutes = mutes[1:]
            await io.report(job)
        return True

    async def _restore(self, backup: Backup) -> bool:
        """The profile fields the copy changed, as they were (pictures uploaded again)."""
        job, io = self.job, self.io
        done = Made("profile", "profile", None, ("profile_backups", "bluesky"))
        while True:
            if not await io.active(job):
                return False
            plan = self.budget.plan(io.now(), PUT_POINTS)  # a put costs two deletes' points
            if plan.writes < PUT_POINTS:
                if not await self._wait(max(1.0, plan.wait_s)):
                    return False
                continue
            try:
                current, cid = await self.writer.profile()
                blobs = {}
                for name in ("avatar", "banner"):
                    kept = picture(backup, name) if name in restorable(backup) else None
                    if kept is not None:
                        blobs[name] = await self.writer.upload(*kept)
                self.budget.spend(io.now(), PUT_POINTS)
                await self._keep_budget()
                await self.writer.put_profile(bluesky_record(current, backup, blobs), cid)
            except RateLimitedError as exc:
                if not await self._wait(self.budget.rate_limited(io.now(), exc.headers)):
                    return False
                continue
            except WriterError as exc:
                if not exc.retry and not exc.code.startswith("http_400_InvalidSwap"):
                    await self.store.undone(job, [], self._checkpoint(), failed=1)
                    return True
                self.attempt += 1  # a server error, or the profile changed meanwhile
                if not await retry_later(io, job, self.attempt - 1, exc, self._checkpoint()):
                    return False
                continue
            await self.store.undone(job, [done], self._checkpoint())
            return True
