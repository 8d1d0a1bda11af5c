"""A periodic pass (the new-match notices, the organisations' snapshots and digests).

In one process `chatbot run` keeps each loop running (`run_forever`); in scale-out mode
the workers' hourly cron task calls `run_once` instead, once per hour in all.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from chatbot.platforms.base import Platform

if TYPE_CHECKING:
    from chatbot.services import Services

log = logging.getLogger(__name__)

CHECK_EVERY_S = 3600.0


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PeriodicLoop:
    """Subclasses implement `run_once`; `what` names the loop in the logs."""

    what = "periodic loop"

    def __init__(
        self,
        services: Services,
        platforms: Mapping[str, Platform],
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        check_every_s: float = CHECK_EVERY_S,
    ) -> None:
        self.services = services
        self.platforms = platforms
        self.clock = clock
        self.check_every_s = check_every_s

    async def run_once(self) -> Any:
        raise NotImplementedError

    async def run_forever(self) -> None:
        """Run a pass now, then every `check_every_s`, until cancelled."""
        while True:
            try:
                result = await self.run_once()
                log.info("%s: pass done (%s)", self.what, result)
            except Exception:
                log.exception("%s failed; it will try again", self.what)
            await asyncio.sleep(self.check_every_s)
