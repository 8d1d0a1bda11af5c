"""Handle hints and tweet dates, accumulated over one streamed pass of the tweets (§7.1).

id -> screen name pairs come from mentions (never the id -1), replies with a screen name,
and the source of retweeted media; quote links and note-tweet mentions give screen names
without an id.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from chatbot.archive.tweets import (
    NOT_HANDLES,
    STATUS_LINK,
    as_int,
    entities,
    media_list,
    parse_date,
)


class HintScan:
    """Accumulates, tweet by tweet, what the summary and the handle hints need."""

    def __init__(self) -> None:
        self.count = 0
        self.years: Counter[int] = Counter()
        self.first: tuple[int, object] | None = None  # (id, raw created_at) of the oldest
        self.last: tuple[int, object] | None = None
        self.handles: dict[int, Counter[str]] = {}
        self.without_id: Counter[str] = Counter()

    def add_handle(self, user_id: object, name: object) -> None:
        uid = as_int(user_id)
        if uid is None or not isinstance(name, str) or not 0 < len(name) <= 50:
            return
        self.handles.setdefault(uid, Counter())[name] += 1

    def add_tweet(self, tweet: dict[str, Any], tweet_id: int, *, count: bool = True) -> int | None:
        """Record one tweet; returns its year (None if unknown)."""
        year = None
        created = tweet.get("created_at")
        if count:
            self.count += 1
            if isinstance(created, str) and len(created) >= 4 and created[-4:].isdigit():
                year = int(created[-4:]) if created[3] == " " else int(created[:4])
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
                self.without_id[link.group(1)] += 1

    def add_note(self, note: dict[str, Any]) -> None:
        core = note.get("core")
        mentions = core.get("mentions") if isinstance(core, dict) else None
        for mention in mentions if isinstance(mentions, list) else []:
            name = mention.get("screenName") if isinstance(mention, dict) else None
            if isinstance(name, str) and 0 < len(name) <= 50:
                self.without_id[name] += 1

    def dates(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        first = parse_date(self.first[1]) if self.first else None
        last = parse_date(self.last[1]) if self.last else None
        return first, last
