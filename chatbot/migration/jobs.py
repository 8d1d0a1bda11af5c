"""The job runner: follow, block, undo and post-import jobs as asyncio tasks, one at a
time per user.

State lives in the `jobs` table (`JobStore`); this object only holds the running tasks.
`chatbot run` starts one runner (`start()` resumes queued and running jobs) and closes it
on shutdown; a job cut off by a stop or a crash stays "running" and is picked up again.
`/pause` and `/cancel` change the state in the database and wake the job, which checks
its state before each batch and after each wait. Progress goes to the user's private
chat, one message edited in place, at most every `report_interval_s`, on 5 % steps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from chatbot.i18n import negotiate, translator
from chatbot.migration.budget_store import BudgetStore
from chatbot.migration.follow import FollowOptions, follow_bluesky
from chatbot.migration.follow_mastodon import follow_mastodon
from chatbot.migration.job_view import FINAL, UNAVAILABLE, render_job
from chatbot.migration.store import ACTIVE, RUNNABLE, Job, JobStore
from chatbot.migration.undo_writer import AtprotoAccountWriter, MastodonAccountWriter
from chatbot.migration.writers import ExpiredError, WriterError, close_writer
from chatbot.ops.metrics import JOBS_FAILED
from chatbot.outages import OUTAGES
from chatbot.platforms.base import ChatRef, Platform, SentMessage, Text
from chatbot.posts.job import import_posts
from chatbot.posts.store import PostStore, media_dir

if TYPE_CHECKING:
    from chatbot.services import Services

log = logging.getLogger(__name__)

WriterFactory = Callable[["Services", int, str], Awaitable[Any]]


async def connected_writer(services: Services, user_id: int, network: str) -> Any:
    """The writer over the account the user connected with /connect, or None."""
    from chatbot.accounts import AccountExpired, ServiceUnavailable

    try:
        if network == "bluesky":
            from chatbot.accounts.bluesky import bluesky_client

            client = await bluesky_client(services, user_id)
            return AtprotoAccountWriter(client) if client is not None else None
        from chatbot.accounts.mastodon import mastodon_client

        masto = await mastodon_client(services, user_id)
        return MastodonAccountWriter(masto) if masto is not None else None
    except AccountExpired:
        raise ExpiredError() from None
    except ServiceUnavailable:
        raise WriterError(UNAVAILABLE) from None


async def connected_post_writer(services: Services, user_id: int, network: str) -> Any:
    """The post writer over the user's connected Bluesky account, or None."""
    from chatbot.accounts import AccountExpired, ServiceUnavailable
    from chatbot.accounts.bluesky import bluesky_client
    from chatbot.posts.writer import AtprotoPostWriter

    try:
        client = await bluesky_client(services, user_id)
    except AccountExpired:
        raise ExpiredError() from None
    except ServiceUnavailable:
        raise WriterError(UNAVAILABLE) from None
    return AtprotoPostWriter(client) if client is not None else None


def options_from(services: Services) -> FollowOptions:
    settings = services.settings
    return FollowOptions(
        headroom=float(getattr(settings, "bluesky_budget_headroom", 0.8)),
        batch_size=int(getattr(settings, "follow_batch_size", 200)),
        pace=bool(getattr(settings, "follow_pace", True)),
    )


TRANSIENT = OUTAGES  # infrastructure errors: the job is tried again, never "failed"


class Deferred(Exception):
    """A worker does not sit through a long wait: the queue wakes the job later."""


class JobRunner:
    def __init__(
        self,
        services: Services,
        platforms: Mapping[str, Platform] | None = None,
        *,
        writer_factory: WriterFactory = connected_writer,
        post_writer_factory: WriterFactory = connected_post_writer,
        options: FollowOptions | None = None,
        clock: Callable[[], float] = time.time,
        report_interval_s: float = 10.0,
    ) -> None:
        self.services = services
        self.store = JobStore(services.db)
        self.budgets = BudgetStore(services.db)
        self.platforms: dict[str, Platform] = dict(platforms or {})
        self.writer_factory = writer_factory
        self.post_writer_factory = post_writer_factory
        self.options = options or options_from(services)
        self.clock = clock
        self.report_interval_s = report_interval_s
        self.retry_s = 5.0  # after an infrastructure error
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._wake: dict[int, asyncio.Event] = {}
        self._messages: dict[int, tuple[SentMessage, str, float]] = {}

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> int:
        """Resume every queued or running job; how many users have one."""
        users = await self.store.runnable_users()
        for user_id in users:
            await self.kick(user_id)
        if users:
            log.info("resuming the jobs of %d users", len(users))
        return len(users)

    async def kick(self, user_id: int) -> None:
        """Make sure the user's jobs are being worked on (one task per user)."""
        task = self._tasks.get(user_id)
        if task is None or task.done():
            self._tasks[user_id] = asyncio.create_task(
                self._drain(user_id), name=f"jobs-{user_id}"
            )

    async def idle(self) -> None:
        while any(not task.done() for task in self._tasks.values()):
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    # -- chat commands ---------------------------------------------------------------------

    async def submit_import(self, user_id: int, total: int, params: dict[str, Any]) -> Job:
        """Queue the import of the user's prepared posts to Bluesky."""
        job = await self.store.create(user_id, "import_bluesky", params, total)
        await self.kick(user_id)
        return job

    async def submit(
        self, user_id: int, network: str, targets: list[str], extra: dict[str, Any] | None = None
    ) -> Job:
        """Queue a follow job; `extra` params: "self" (never followed), "via", "account"."""
        params = {"targets": targets, **(extra or {})}
        job = await self.store.create(user_id, f"follow_{network}", params, len(set(targets)))
        await self.kick(user_id)
        return job

    async def pause(self, user_id: int) -> list[Job]:
        return await self._change(user_id, RUNNABLE, "paused")

    async def cancel(self, user_id: int) -> list[Job]:
        return await self._change(user_id, ACTIVE, "cancelled")

    async def resume(self, user_id: int) -> list[Job]:
        changed = await self._change(user_id, ("paused",), "queued")
        if changed:
            await self.kick(user_id)
        return changed

    async def _change(self, user_id: int, before: tuple[str, ...], after: str) -> list[Job]:
        changed = []
        for job in await self.store.for_user(user_id, before):  # type: ignore[arg-type]
            if await self.store.set_state(job.id, after, only_from=before):  # type: ignore[arg-type]
                changed.append(job)
        self._wake.setdefault(user_id, asyncio.Event()).set()
        return changed

    # -- running ---------------------------------------------------------------------------

    async def _drain(self, user_id: int) -> None:
        while True:
            try:
                jobs = await self.store.for_user(user_id, RUNNABLE)
                if not jobs:
                    return
                await self._execute(jobs[0])
            except TRANSIENT as exc:  # e.g. PostgreSQL restarting: wait, then go on
                log.warning("jobs of user %d: %s, trying again", user_id, type(exc).__name__)
                await asyncio.sleep(self.retry_s)

    async def _execute(self, job: Job) -> None:
        store = self.store
        if not await store.set_state(job.id, "running", only_from=RUNNABLE):
            return
        job = await store.get(job.id) or job
        try:
            if job.is_import:
                finished = await self._import(job)
            elif job.action in ("undo", "block"):
                finished = await self._account_job(job)
            else:
                finished = await self._follow(job)
            if finished:
                await store.set_state(job.id, "done", only_from=("running",))
        except WriterError as exc:
            if exc.code == UNAVAILABLE:  # nothing is lost: /resume tries again
                await store.set_state(job.id, "paused", error=exc.code)
            else:
                await store.set_state(job.id, "failed", error=exc.code)
        except Deferred:
            return  # a worker handed the wait to the queue: the job stays "running"
        except asyncio.CancelledError:
            raise  # shutdown: the job stays "running" and resumes at the next start
        except TRANSIENT:
            raise  # the database or queue is away: the job stays "running", tried again
        except Exception:
            log.exception("job %d failed", job.id)
            await store.set_state(job.id, "failed", error="internal")
        final = await store.get(job.id)
        if final is not None and final.state == "failed":
            JOBS_FAILED.labels(kind=final.kind).inc()
        if final is not None and (final.state in FINAL or final.last_error == UNAVAILABLE):
            await self.report(final, force=True)

    async def _follow(self, job: Job) -> bool:
        writer = await self.writer_factory(self.services, job.user_id, job.network)
        if writer is None:
            await self.store.set_state(job.id, "failed", error="not_connected")
            return False
        run = follow_bluesky if job.network == "bluesky" else follow_mastodon
        try:
            return await run(job, writer, self, self.options)
        finally:
            await close_writer(writer)

    async def _account_job(self, job: Job) -> bool:
        """An undo (either network) or a blocks job (Bluesky), through the account writer."""
        from chatbot.migration.blocks import block_bluesky
        from chatbot.undo.bluesky import BlueskyUndo
        from chatbot.undo.mastodon import undo_mastodon
        from chatbot.undo.store import UndoStore

        writer = await self.writer_factory(self.services, job.user_id, job.network)
        if writer is None:
            await self.store.set_state(job.id, "failed", error="not_connected")
            return False
        try:
            if job.action == "block":
                return await block_bluesky(job, writer, self, self.options)
            store = UndoStore(self.services.db)
            if job.network == "bluesky":
                return await BlueskyUndo(job, writer, self, self.options, store).run()
            return await undo_mastodon(job, writer, self, store)
        finally:
            await close_writer(writer)

    async def submit_job(self, user_id: int, kind: str, params: dict[str, Any], total: int) -> Job:
        """Queue a job of another kind (undo_<network>, block_bluesky)."""
        job = await self.store.create(user_id, kind, params, total)
        await self.kick(user_id)
        return job

    async def _import(self, job: Job) -> bool:
        writer = await self.post_writer_factory(self.services, job.user_id, job.network)
        if writer is None:
            await self.store.set_state(job.id, "failed", error="not_connected")
            return False
        posts, data_dir = PostStore(self.services.db), self.services.settings.data_dir
        media = media_dir(data_dir, job.user_id)
        try:
            if not await import_posts(job, writer, self, self.options, posts, media):
                return False
        finally:
            await close_writer(writer)
        await posts.clear(job.user_id, data_dir)  # the log of what was posted stays
        return True

    # -- JobIO -----------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock()

    async def sleep(self, job: Job, seconds: float) -> bool:
        wake = self._wake.setdefault(job.user_id, asyncio.Event())
        wake.clear()
        # a wait longer than the report throttle is shown at once (with its end time),
        # else a 429 right after a batch's report would stay invisible until it is over
        await self.report(job, force=seconds > self.report_interval_s)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=max(0.0, seconds))
        return await self.active(job)

    async def active(self, job: Job) -> bool:
        current = await self.store.get(job.id)
        return current is not None and current.state == "running"

    async def report(self, job: Job, *, force: bool = False) -> None:
        """Edit the progress message: on 5 % steps, at most every `report_interval_s`."""
        current = await self.store.get(job.id)
        user = await self.services.users.get(job.user_id)
        if current is None or user is None or user.private_chat_id is None:
            return
        platform = self.platforms.get(user.platform)
        if platform is None:
            return
        language = negotiate(user.language, None, self.services.settings.default_language)
        reasons = await self.store.skip_reasons(job.id) if current.skipped else None
        text = render_job(translator(language), current, steps=True, reasons=reasons)
        previous = self._messages.get(job.id)
        now = time.monotonic()
        if previous and (previous[1] == text or (not force and now < previous[2])):
            return
        try:
            if previous is None:
                chat = ChatRef(user.platform, user.private_chat_id, is_private=True)
                sent = await platform.send(chat, Text(text))
            else:
                sent = previous[0]
                await platform.edit(sent, Text(text))
        except Exception:
            log.warning("could not show the progress of job %d", job.id, exc_info=True)
            return
        interval = max(self.report_interval_s, platform.limits.min_edit_interval_s)
        self._messages[job.id] = (sent, text, now + interval)
