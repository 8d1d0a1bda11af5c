"""`chatbot run`: start every configured platform (or the console) and stop cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import Any

from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.platforms.base import Adapter, Platform
from chatbot.services import Services
from chatbot.web import start_web
from handlers import build_registry

log = logging.getLogger(__name__)


def single_process(settings: Settings) -> Settings:
    """The console is one local conversation: it never goes through the workers' queue."""
    if settings.redis_url:
        log.info("the console runs in one process: CHATBOT_REDIS_URL is not used")
    return settings.model_copy(update={"redis_url": None})


def build_adapters(settings: Settings, dispatcher: Dispatcher) -> list[Adapter]:
    """The chat adapters the configuration enables (imported lazily: SDKs are heavy)."""
    adapters: list[Adapter] = []
    if settings.telegram_enabled:
        from chatbot.platforms.telegram import TelegramAdapter

        adapters.append(TelegramAdapter(settings, dispatcher))
    if settings.matrix_enabled:
        from chatbot.platforms.matrix import MatrixAdapter

        adapters.append(MatrixAdapter(settings, dispatcher))
    return adapters


def start_notifier(services: Services, adapters: list[Adapter]) -> asyncio.Task[None]:
    """The new-match notices (issue 4 §7): one task, sending through the running platforms."""
    from chatbot.notify import MatchNotifier

    platforms = {adapter.platform.name: adapter.platform for adapter in adapters}
    return asyncio.create_task(MatchNotifier(services, platforms).run_forever(), name="notices")


def start_org_loop(services: Services, adapters: list[Adapter]) -> asyncio.Task[None]:
    """The organisations' loop (issue 6): daily snapshots, weekly digests, purges."""
    from chatbot.orgs.loop import OrgLoop

    platforms = {adapter.platform.name: adapter.platform for adapter in adapters}
    return asyncio.create_task(OrgLoop(services, platforms).run_forever(), name="orgs")


def start_outbox_relay(services: Services, adapters: list[Adapter]) -> asyncio.Task[None]:
    """Scale-out mode: deliver the replies the workers wrote to the outbox."""
    from chatbot.queue.outbox import OutboxRelay

    platforms = {adapter.platform.name: adapter.platform for adapter in adapters}
    relay = OutboxRelay(services.queue.queue.redis, platforms)
    return asyncio.create_task(relay.run_forever(), name="outbox")


async def start_follow_jobs(services: Services, adapters: list[Adapter]) -> None:
    """The job runner (issue 5 §3): resumes unfinished jobs; closed with the services.

    In scale-out mode it only enqueues: the workers run the jobs."""
    from chatbot.migration.jobs import JobRunner

    platforms = {adapter.platform.name: adapter.platform for adapter in adapters}
    if services.queue is not None:
        from chatbot.queue.runner import QueuedJobRunner

        services.follow_jobs = QueuedJobRunner(services, platforms, queue=services.queue)
    else:
        services.follow_jobs = JobRunner(services, platforms)
    await services.follow_jobs.start()


async def start_ops(settings: Settings, services: Services, started: asyncio.Event) -> Any:
    """The ops endpoints (`chatbot.ops.server`) when CHATBOT_OPS_PORT is set, else None."""
    if settings.ops_port is None:
        return None
    from chatbot.ops.server import default_checks, flag_check, start_ops_server

    checks = default_checks(settings, services.db)
    checks["platforms"] = flag_check(started, "platforms")
    return await start_ops_server(settings, checks, db=services.db)


async def run(settings: Settings) -> None:
    """Run the configured platforms until SIGINT/SIGTERM; the console when none is set."""
    if not (settings.telegram_enabled or settings.matrix_enabled):
        settings = single_process(settings)
    services = await Services.start(settings)
    dispatcher = Dispatcher(services, build_registry())
    adapters = build_adapters(settings, dispatcher)
    ready = asyncio.Event()  # every platform started: /readyz may answer 200
    ops = await start_ops(settings, services, ready)
    platforms: dict[str, Platform] = {}  # the web endpoint (issue 16) writes to users here
    web = None
    try:
        web = await start_web(settings, services, platforms)  # before a Telegram webhook
        if not adapters:
            from chatbot.platforms.console import ConsolePlatform, run_console

            log.info("no chat platform configured: starting the console conversation")
            console = ConsolePlatform(sys.stdout, settings.data_dir / "console-files")
            platforms[console.name] = console
            await run_console(dispatcher, platform=console)
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        started: list[Adapter] = []
        notices: asyncio.Task[None] | None = None
        orgs: asyncio.Task[None] | None = None
        try:
            for adapter in adapters:
                await adapter.start()
                started.append(adapter)
                platforms[adapter.platform.name] = adapter.platform
                log.info("%s is running", adapter.platform.name)
            if services.queue is None:  # one process: the loops and jobs run here
                notices = start_notifier(services, started)
                orgs = start_org_loop(services, started)
            else:  # scale-out: workers run them; this front end delivers their replies
                notices = start_outbox_relay(services, started)
            await start_follow_jobs(services, started)
            ready.set()
            await stop.wait()
        finally:
            ready.clear()
            for task in (notices, orgs):
                if task is not None:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            for adapter in reversed(started):
                try:
                    await adapter.stop()
                except Exception:
                    log.exception("error while stopping %s", adapter.platform.name)
    finally:
        if web is not None:
            await web.stop()
        if ops is not None:
            await ops.cleanup()
        await services.close()
