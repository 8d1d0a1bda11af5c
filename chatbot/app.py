"""`chatbot run`: start every configured platform (or the console) and stop cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal

from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.notify import MatchNotifier
from chatbot.platforms.base import Adapter
from chatbot.services import Services
from handlers import build_registry

log = logging.getLogger(__name__)


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
    platforms = {adapter.platform.name: adapter.platform for adapter in adapters}
    return asyncio.create_task(MatchNotifier(services, platforms).run_forever(), name="notices")


def start_org_loop(services: Services, adapters: list[Adapter]) -> asyncio.Task[None]:
    """The organisations' loop (issue 6): daily snapshots, weekly digests, purges."""
    from chatbot.orgs.loop import OrgLoop

    platforms = {adapter.platform.name: adapter.platform for adapter in adapters}
    return asyncio.create_task(OrgLoop(services, platforms).run_forever(), name="orgs")


async def start_follow_jobs(services: Services, adapters: list[Adapter]) -> None:
    """The follow-job runner (issue 5 §3): resumes unfinished jobs; closed with the services."""
    from chatbot.migration.jobs import JobRunner

    platforms = {adapter.platform.name: adapter.platform for adapter in adapters}
    services.follow_jobs = JobRunner(services, platforms)
    await services.follow_jobs.start()


async def run(settings: Settings) -> None:
    """Run the configured platforms until SIGINT/SIGTERM; the console when none is set."""
    services = await Services.start(settings)
    dispatcher = Dispatcher(services, build_registry())
    adapters = build_adapters(settings, dispatcher)
    try:
        if not adapters:
            from chatbot.platforms.console import run_console

            log.info("no chat platform configured: starting the console conversation")
            await run_console(dispatcher)
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
                log.info("%s is running", adapter.platform.name)
            notices = start_notifier(services, started)
            orgs = start_org_loop(services, started)
            await start_follow_jobs(services, started)
            await stop.wait()
        finally:
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
        await services.close()
