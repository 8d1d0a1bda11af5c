"""`chatbot worker`: runs the queued tasks (scale-out mode); any number of them.

Each worker holds its own services (database pool, parser processes), replies through
the outbox, and runs the hourly loops (new-match notices, organisations' snapshots,
digests and purges) as saq cron jobs, so each runs once per hour whatever the number of
workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import secrets
import time
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from saq import CronJob, Worker
from saq.types import PartialTimersDict

from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.queue.client import HEARTBEAT_S, TaskQueue, make_queue
from chatbot.queue.outbox import OutboxPlatform
from chatbot.queue.runner import WorkerJobRunner
from chatbot.queue.wire import message_from

log = logging.getLogger(__name__)

CLAIM = "chatbot:upload:claim:"  # + the hand-over folder: which run answers that file
DONE = b"done"
CLAIM_KEEP_S = 3600  # longer than any retry of the task
Ctx = Any  # saq's context dict, with what `startup` puts in it


def platform_names(settings: Settings) -> list[str]:
    names = []
    if settings.telegram_enabled:
        names.append("telegram")
    if settings.matrix_enabled:
        names.append("matrix")
    return names or ["console"]


async def startup(ctx: Ctx) -> None:
    from chatbot.services import Services
    from handlers import build_registry

    settings: Settings = ctx["settings"]
    services = await Services.start(settings)
    services.in_worker = True
    redis = Redis.from_url(str(settings.redis_url))
    platforms = {name: OutboxPlatform(name, redis) for name in platform_names(settings)}
    tasks = TaskQueue(ctx["worker"].queue, heartbeat_s=settings.queue_heartbeat_s)
    services.queue = tasks
    services.follow_jobs = WorkerJobRunner(services, platforms, queue=tasks)
    ctx.update(services=services, redis=redis, platforms=platforms, tasks=tasks,
               dispatcher=Dispatcher(services, build_registry()))  # fmt: skip
    from chatbot.ops.server import default_checks, start_ops_server

    ctx["ops"] = await start_ops_server(settings, default_checks(settings, services.db),
                                        db=services.db)  # fmt: skip


async def shutdown(ctx: Ctx) -> None:
    ops = ctx.get("ops")
    if ops is not None:
        await ops.cleanup()
    services = ctx.get("services")
    if services is not None:
        await services.close()
    redis = ctx.get("redis")
    if redis is not None:
        await redis.aclose()


@contextlib.asynccontextmanager
async def heartbeat(ctx: Ctx, lock: Any = None) -> Any:
    """Touch the saq job while it runs: when this worker dies, the touches stop. Three
    touches per heartbeat period of the job (set by whoever enqueued it); `lock` (a
    Redis lock held for the task) is extended at the same pace."""
    job = ctx["job"]
    period = job.heartbeat or HEARTBEAT_S

    async def beat() -> None:
        while True:
            await asyncio.sleep(period / 3)
            with contextlib.suppress(Exception):
                await job.update()
                if lock is not None:
                    await lock.extend(period * 2, replace_ttl=True)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()


async def drain_user(ctx: Ctx, *, user_id: int) -> int:
    """Run the user's jobs. A Redis lock per user backs saq's one-task-per-key rule (its
    sweep can, rarely, start a task twice): a second drain finds the lock and leaves."""
    period = ctx["job"].heartbeat or HEARTBEAT_S
    lock = ctx["redis"].lock(f"chatbot:drain:{user_id}", timeout=period * 2)
    if not await lock.acquire(blocking=False):
        return 0  # another worker is draining this user; it sees the new work too
    try:
        async with heartbeat(ctx, lock):
            runner: WorkerJobRunner = ctx["services"].follow_jobs
            return await runner.drain(user_id)
    finally:
        with contextlib.suppress(Exception):
            await lock.release()


async def nudge(ctx: Ctx, *, user_id: int) -> None:
    await ctx["tasks"].drain_user(user_id)


async def handle_message(ctx: Ctx, *, payload: dict[str, Any]) -> None:
    """Handle a message a front end handed over. An attached file is claimed first, so that
    exactly one run answers it: a run that finds the file claimed by a live run (saq may
    start a task twice) leaves quietly; one that finds it gone with no live claimer (the
    worker that took it died) still runs, and the user is told to send it again."""
    message = message_from(payload["message"])
    claim = None
    if message.attachment is not None:
        claim = ctx["redis"].lock(CLAIM + Path(message.attachment.file_id).parent.name,
                                  timeout=(ctx["job"].heartbeat or HEARTBEAT_S) * 2)  # fmt: skip
        if not await _take(ctx, claim):
            log.info("a handed-over file is handled by another run (a task run twice)")
            return
        claimed = await _claim(Path(message.attachment.file_id))
        if claimed is not None:
            attachment = dataclasses.replace(message.attachment, file_id=str(claimed))
            message = dataclasses.replace(message, attachment=attachment)
    answered = False
    try:
        async with heartbeat(ctx, claim):
            platform = ctx["platforms"][payload["platform"]]
            jobs = ctx["services"].jobs
            before = jobs.running()
            await ctx["dispatcher"].handle(platform, message)
            answered = True
            # the matching this upload started, before leaving; not `idle()`: under load
            # the worker is never idle, and every slot would wait for every other
            # user's matching
            await jobs.wait(jobs.running() - before)
    finally:
        if claim is not None:
            with contextlib.suppress(Exception):
                if answered:  # a later run of this task stops at once
                    await ctx["redis"].set(claim.name, DONE, ex=CLAIM_KEEP_S)
                else:  # cut short (shutdown): a retry finds no file and says so
                    await ctx["redis"].delete(claim.name)


async def _take(ctx: Ctx, claim: Any) -> bool:
    """Hold the claim of a handed-over file; False when another run answers it (its
    claim is alive, i.e. extended by its heartbeat, or the file was answered already)."""
    redis = ctx["redis"]
    deadline = time.monotonic() + float(claim.timeout) + 5
    last_ttl = None
    while time.monotonic() < deadline:
        if await claim.acquire(blocking=False):
            return True
        value = await redis.get(claim.name)
        if value == DONE:
            return False
        ttl = await redis.pttl(claim.name)
        if last_ttl is not None and ttl > last_ttl:
            return False  # extended: its run is alive and will answer
        last_ttl = ttl if ttl >= 0 else last_ttl
        await asyncio.sleep(1.0)
    return False


async def _claim(path: Path) -> Path | None:
    """Rename the file to a name of this task (atomic); None when it is gone: the user
    is then told to send it again (`chatbot.archive.spool.UploadLost`)."""
    claimed = path.with_name(f"{path.name}.{secrets.token_hex(4)}")
    try:
        await asyncio.to_thread(os.rename, path, claimed)
    except FileNotFoundError:
        return None
    return claimed


async def hourly(ctx: Ctx) -> None:
    from chatbot.notify import MatchNotifier
    from chatbot.orgs.loop import OrgLoop

    services, platforms = ctx["services"], ctx["platforms"]
    for loop in (MatchNotifier(services, platforms), OrgLoop(services, platforms)):
        try:
            await loop.run_once()
        except Exception:
            log.exception("%s failed", type(loop).__name__)


def build_worker(settings: Settings) -> Worker[Any]:
    if not settings.redis_url or not settings.on_postgresql:
        raise SystemExit("chatbot worker needs CHATBOT_REDIS_URL and DATABASE_URL on PostgreSQL")
    worker = Worker(
        make_queue(settings.redis_url),
        functions=[drain_user, nudge, handle_message],
        concurrency=settings.worker_concurrency,
        cron_jobs=[CronJob(hourly, cron="7 * * * *", timeout=1800)],
        startup=startup,
        shutdown=shutdown,
        timers=PartialTimersDict(sweep=10, abort=1, schedule=1, worker_info=10),
        shutdown_grace_period_s=10,
    )
    worker.context["settings"] = settings
    return worker


async def run_worker(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM (saq's worker handles the signals)."""
    worker = build_worker(settings)
    log.info("worker starting (concurrency %d)", settings.worker_concurrency)
    await worker.start()
