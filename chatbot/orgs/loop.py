"""The organisations' periodic work: daily snapshots, weekly digests, purges.

A task of `chatbot run` (`OrgLoop.run_forever`), like the new-match notices. Each pass
records the day's numbers of every active organisation, posts the weekly digest in the
groups whose admins turned it on (aggregates only), and deletes the shared data of the
organisations whose group removed the bot more than `org_retention_days` ago. The clock
and the interval are injectable for tests.
"""

from __future__ import annotations

import datetime as dt
import logging

from chatbot.i18n import Translator
from chatbot.loops import PeriodicLoop
from chatbot.orgs.progress import record
from chatbot.orgs.publish import purge, refresh_members
from chatbot.orgs.render import in_languages, progress_text
from chatbot.orgs.store import Organisation, OrgStore
from chatbot.platforms.base import ChatRef, Text

log = logging.getLogger(__name__)

DIGEST_EVERY = dt.timedelta(days=7)


class OrgLoop(PeriodicLoop):
    what = "the organisations' loop"

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
