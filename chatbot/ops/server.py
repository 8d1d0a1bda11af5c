"""The ops endpoints of a bot or worker process, on ``CHATBOT_OPS_HOST:CHATBOT_OPS_PORT``.

- ``/healthz``: 200 while the process runs (liveness);
- ``/readyz``: 200 when every readiness check passes (the database answers ``SELECT 1``,
  Redis answers ``PING`` when configured, the platforms are started), else 503 with
  ``{"ready": false, "failed": [...], "checks": {...}}``;
- ``/metrics``: Prometheus text format (`chatbot.ops.metrics`).

Usage (``chatbot run`` does this; a worker passes its own checks)::

    runner = await start_ops_server(settings, default_checks(settings, db), db=db)
    ...
    if runner is not None:
        await runner.cleanup()
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import func, select, text

from chatbot.config import Settings
from chatbot.ops.metrics import JOBS_QUEUED, JOBS_RUNNING
from chatbot.storage.db import Database
from chatbot.storage.schema import jobs

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[None]]  # raises when not ready
CHECK_TIMEOUT_S = 3.0


class NotReady(Exception):
    """A readiness check failed; the message (no personal data) goes in the 503 body."""


def database_check(db: Database) -> Check:
    async def check() -> None:
        if db.closed:
            raise NotReady("closed")
        async with db.begin() as conn:
            await conn.execute(text("SELECT 1"))

    return check


def redis_check(url: str) -> Check:
    """PING through the redis client (the queue's own library)."""

    async def check() -> None:
        from redis.asyncio import Redis

        client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            if not await client.ping():  # type: ignore[misc]  # redis-py's union return
                raise NotReady("no PONG")
        finally:
            await client.aclose()

    return check


def flag_check(flag: asyncio.Event, what: str) -> Check:
    """Ready once `flag` is set (for example: every platform started)."""

    async def check() -> None:
        if not flag.is_set():
            raise NotReady(f"{what} not started")

    return check


def default_checks(settings: Settings, db: Database) -> dict[str, Check]:
    """The database, and Redis when ``CHATBOT_REDIS_URL`` is set."""
    checks = {"database": database_check(db)}
    if settings.redis_url:
        checks["redis"] = redis_check(settings.redis_url)
    return checks


async def readiness(checks: Mapping[str, Check]) -> tuple[bool, dict[str, str]]:
    """Run the checks concurrently; each name maps to "ok" or why it failed."""

    async def run(check: Check) -> str:
        try:
            await asyncio.wait_for(check(), CHECK_TIMEOUT_S)
        except NotReady as exc:
            return str(exc)
        except Exception as exc:  # which kind of failure; messages may hold addresses
            return type(exc).__name__
        return "ok"

    results = await asyncio.gather(*(run(check) for check in checks.values()))
    report = dict(zip(checks, results, strict=True))
    return all(result == "ok" for result in results), report


async def refresh_job_gauges(db: Database) -> None:
    """Set the queued/running gauges from the jobs table (called before each scrape)."""
    statement = (
        select(jobs.c.kind, jobs.c.state, func.count())
        .where(jobs.c.state.in_(("queued", "running")))
        .group_by(jobs.c.kind, jobs.c.state)
    )
    async with db.begin() as conn:
        rows = (await conn.execute(statement)).all()
    JOBS_QUEUED.clear()
    JOBS_RUNNING.clear()
    for kind, state, count in rows:
        gauge = JOBS_QUEUED if state == "queued" else JOBS_RUNNING
        gauge.labels(kind=kind).set(count)


def build_ops_app(checks: Mapping[str, Check], *, db: Database | None = None) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"alive": True})

    async def readyz(request: web.Request) -> web.Response:
        ready, report = await readiness(checks)
        body: dict[str, object] = {"ready": ready, "checks": report}
        if not ready:
            body["failed"] = [name for name, result in report.items() if result != "ok"]
        return web.json_response(body, status=200 if ready else 503)

    async def metrics(request: web.Request) -> web.Response:
        if db is not None and not db.closed:
            try:
                await asyncio.wait_for(refresh_job_gauges(db), CHECK_TIMEOUT_S)
            except Exception as exc:
                log.warning("ops: job gauges not refreshed (%s)", type(exc).__name__)
        payload = await asyncio.to_thread(generate_latest, REGISTRY)
        response = web.Response(body=payload)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app


async def start_ops_server(
    settings: Settings, checks: Mapping[str, Check], *, db: Database | None = None
) -> web.AppRunner | None:
    """Serve the ops endpoints; None when ``CHATBOT_OPS_PORT`` is unset (disabled).

    With `db`, the job gauges are read from the jobs table before each scrape.
    Stop it with ``await runner.cleanup()``.
    """
    if settings.ops_port is None:
        return None
    runner = web.AppRunner(build_ops_app(checks, db=db), access_log=None, shutdown_timeout=1)
    await runner.setup()
    await web.TCPSite(runner, settings.ops_host, settings.ops_port).start()
    log.info("ops endpoints on port %d", settings.ops_port)
    return runner
