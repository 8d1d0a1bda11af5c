"""Handle hints and tweet dates, accumulated over one streamed pass of the tweets (§7.1).

id -> screen name pairs come from mentions (never the id -1), replies with a screen name,
and the source of retweeted media; quote links and note-tweet mentions give screen names
without an id.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from chatbot.archive.bounds import plausible_year, screen_name
from chatbot.archive.tweets import (
    NOT_HANDLES,
    STATUS_LINK,
    as_int,
    entities,
    media_list,
    parse_date,
)

MAX_NAMES_PER_ID = 8  # an account renamed more often than this is not a real one


class HintScan:
    """Accumulates, tweet by tweet, what the summary and the handle hints need."""

    def __init__(self, max_ids: int = 100_000) -> None:
        self.max_ids = max_ids  # accounts with a recovered name; as many names without id
        self.capped = False
        self.count = 0
        self.years: Counter[int] = Counter()
        self.first: tuple[int, object] | None = None  # (id, raw created_at) of the oldest
        self.last: tuple[int, object] | None = None
        self.handles: dict[int, Counter[str]] = {}
        self.without_id: Counter[str] = Counter()

    def add_handle(self, user_id: object, value: object) -> None:
        uid, name = as_int(user_id), screen_name(value)
        if uid is None or name is None:
            return
        seen = self.handles.get(uid)
        if seen is None:
            if len(self.handles) >= self.max_ids:
                self.capped = True
                return
            seen = self.handles[uid] = Counter()
        if name in seen or len(seen) < MAX_NAMES_PER_ID:
            seen[name] += 1

    def add_without_id(self, value: object) -> None:
        name = screen_name(value)
        if name is None:
            return
        if name in self.without_id or len(self.without_id) < self.max_ids:
            self.without_id[name] += 1
        else:
            self.capped = True

    def add_tweet(self, tweet: dict[str, Any], tweet_id: int, *, count: bool = True) -> int | None:
        """Record one tweet; returns its year (None if unknown)."""
        year = None
        created = tweet.get("created_at")
        if count:
            self.count += 1
            year = _year(created)
            if year is not None:
                self.years[year] += 1
            if self.first is None or tweet_id < self.first[0]:
                self.first = (tweet_id, created)
            if self.last is None or tweet_id > self.last[0]:
                self.last = (tweet_id, created)
        self.add_hints(tweet)
        return year

    def add_hints(self, tweet: dict[str, Any]) -> None:
        for mention in entities(tweet, "user_mentions"):
            self.add_handle(mention.get("id_str") or mention.get("id"), mention.get("screen_name"))
        self.add_handle(tweet.get("in_reply_to_user_id_str"), tweet.get("in_reply_to_screen_name"))
        for media in media_list(tweet):
            source = media.get("source_user_id_str") or media.get("source_user_id")
            link = STATUS_LINK.match(str(media.get("expanded_url") or ""))
            if source is not None and link is not None:
                self.add_handle(source, link.group(1))
        for url in entities(tweet, "urls"):
            link = STATUS_LINK.match(str(url.get("expanded_url") or ""))
            if link is not None and link.group(1).lower() not in NOT_HANDLES:
                self.add_without_id(link.group(1))

    def add_note(self, note: dict[str, Any]) -> None:
        core = note.get("core")
        mentions = core.get("mentions") if isinstance(core, dict) else None
        for mention in mentions if isinstance(mentions, list) else []:
            if isinstance(mention, dict):
                self.add_without_id(mention.get("screenName"))

    def dates(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        first = parse_date(self.first[1]) if self.first else None
        last = parse_date(self.last[1]) if self.last else None
        return first, last


def _year(created: object) -> int | None:
    """The year of ``Fri Mar 06 13:02:05 +0000 2026`` or ``2019-02-08 08:38:13 +0000``."""
    if not isinstance(created, str) or len(created) < 4 or not created[-4:].isdigit():
        return None
    digits = created[-4:] if created[3] == " " else created[:4]
    if not (digits.isascii() and digits.isdigit()):
        return None
    year = int(digits)
    return year if plausible_year(year) else None
