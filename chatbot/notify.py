"""New matches later: users who opted in hear about accounts they followed that arrived.

A periodic task of `chatbot run` (`MatchNotifier.run_forever`). For each user with
notices on, a known private chat, and no notice for `match_notify_interval_days`, it
lists the accounts they followed on X whose directory entry was created since their last
notice (or since they opted in), judged by the matching engine (tier and reasons, the
word "claimed" included). It sends through the running adapters' platforms, outside any
incoming message. The clock is injectable for tests.
"""

from __future__ import annotations

import datetime as dt
import logging

from chatbot.archive.model import ParsedArchive, id_array
from chatbot.i18n import Translator, negotiate, translator
from chatbot.loops import PeriodicLoop
from chatbot.matching import match_archive
from chatbot.matching.model import Match
from chatbot.matching.present import match_lines
from chatbot.platforms.base import ChatRef, Platform, Text
from chatbot.storage.directory import DecisionStore, DirectoryStore
from chatbot.storage.links import UserLinks
from chatbot.storage.users import UserRecord

log = logging.getLogger(__name__)

MAX_LISTED = 10


class MatchNotifier(PeriodicLoop):
    what = "the new-match notifier"

    @property
    def interval(self) -> dt.timedelta:
        return dt.timedelta(days=self.services.settings.match_notify_interval_days)

    async def run_once(self) -> int:
        """One pass over the users due for a notice; how many messages were sent."""
        now = self.clock()
        sent = 0
        for user in await self.services.users.to_notify(before=now - self.interval):
            platform = self.platforms.get(user.platform)
            if platform is None or user.private_chat_id is None:
                continue
            try:
                sent += await self._notify(user, platform, now)
            except Exception:
                log.exception("new-match notice failed for one user on %s", user.platform)
        return sent

    async def _notify(self, user: UserRecord, platform: Platform, now: dt.datetime) -> bool:
        found = await self.arrivals(user, since=user.notified_at or now - self.interval)
        if not found:
            return False
        language = negotiate(user.language, None, self.services.settings.default_language)
        text = render_notice(translator(language), found)
        assert user.private_chat_id is not None
        await platform.send(ChatRef(user.platform, user.private_chat_id, is_private=True), text)
        await self.services.users.mark_notified(user.id, now)
        return True

    async def arrivals(self, user: UserRecord, *, since: dt.datetime) -> list[Match]:
        """Directory matches of accounts `user` followed whose entries arrived after `since`."""
        db = self.services.db
        parsed = await self.services.archives.load(user.id)
        if parsed is None or not len(parsed.following):
            return []
        new = await UserLinks(db).arrived_since(
            list(parsed.following), since, exclude_user=user.id
        )
        if not new:
            return []
        subset = ParsedArchive(
            era=parsed.era,
            owner=parsed.owner,
            following=id_array(sorted(new)),
            blocked=parsed.blocked,
            muted=parsed.muted,
            handles={x_id: parsed.handles[x_id] for x_id in new if x_id in parsed.handles},
        )
        decisions = await DecisionStore(db).load(user.id)
        found = await match_archive(subset, DirectoryStore(db), None, None, decisions=decisions)
        return [m for m in found if any(r.code.startswith("directory_") for r in m.reasons)]


def render_notice(t: Translator, found: list[Match]) -> Text:
    lines = [t("notify.title")]
    for match in found[:MAX_LISTED]:
        lines += match_lines(t, match)
    if len(found) > MAX_LISTED:
        lines.append(t("notify.more", count=len(found) - MAX_LISTED))
    lines.append(t("notify.footer"))
    return Text("\n".join(lines))
