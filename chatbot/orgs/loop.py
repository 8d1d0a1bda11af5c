"""The organisations' periodic work: daily snapshots, weekly digests, purges.

A task of `chatbot run` (`OrgLoop.run_forever`), like the new-match notices. Each pass
records the day's numbers of every active organisation, posts the weekly digest in the
groups whose admins turned it on (aggregates only), and deletes the shared data of the
organisations whose group removed the bot more than `org_retention_days` ago. The clock
and the interval are injectable for tests.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Mapping

from chatbot.i18n import Translator
from chatbot.orgs.progress import record
from chatbot.orgs.publish import purge, refresh_members
from chatbot.orgs.render import in_languages, progress_text
from chatbot.orgs.store import Organisation, OrgStore
from chatbot.platforms.base import ChatRef, Platform, Text
from chatbot.services import Services

log = logging.getLogger(__name__)

CHECK_EVERY_S = 3600.0
DIGEST_EVERY = dt.timedelta(days=7)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class OrgLoop:
    def __init__(
        self,
        services: Services,
        platforms: Mapping[str, Platform],
        *,
        clock: Callable[[], dt.datetime] = _utc_now,
        check_every_s: float = CHECK_EVERY_S,
    ) -> None:
        self.services = services
        self.platforms = platforms
        self.clock = clock
        self.check_every_s = check_every_s

    async def run_forever(self) -> None:
        """Run a pass now, then every `check_every_s`, until cancelled."""
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("the organisations' loop failed; it will try again")
            await asyncio.sleep(self.check_every_s)

    async def run_once(self) -> tuple[int, int]:
        """One pass: (digests posted, organisations purged)."""
        now = self.clock()
        purged = await self.purge(now)
        posted = 0
        for org in await OrgStore(self.services.db).active():
            try:
                posted += await self._day(org, now)
            except Exception:
                log.exception("organisation %d: snapshot or digest failed", org.id)
        return posted, purged

    async def purge(self, now: dt.datetime) -> int:
        """Delete the organisations removed from their group before the retention period."""
        keep = dt.timedelta(days=self.services.settings.org_retention_days)
        gone = await OrgStore(self.services.db).removed_before(now - keep)
        for org in gone:
            await purge(self.services.db, org)
        if gone:
            log.info("purged %d removed organisations", len(gone))
        return len(gone)

    async def _day(self, org: Organisation, now: dt.datetime) -> int:
        await refresh_members(self.services, org)
        progress = await record(self.services, org, now.date())
        due = org.last_digest_at is None or now - org.last_digest_at >= DIGEST_EVERY
        platform = self.platforms.get(org.platform)
        if not org.digest or not due or platform is None:
            return 0

        def render(t: Translator) -> str:
            return t("org.digest.title") + "\n" + progress_text(t, org.name, progress)

        text = in_languages(org.languages, render)
        await platform.send(ChatRef(org.platform, org.chat_id, is_private=False), Text(text))
        await OrgStore(self.services.db).mark_digest(org.id, now)
        return 1
