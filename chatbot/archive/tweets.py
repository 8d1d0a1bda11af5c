"""The owner's tweets: dates, handle hints, and lazy `Tweet` records for the import.

Records are streamed part by part (`chatbot.archive.records`), never a whole part at
once. Rules from the spec: ``t = rec.get("tweet", rec)`` (2018-2019 tweets are not
wrapped); use ``id_str``; only the last version of an edited tweet counts; retweets are
``RT @`` texts; long posts take their full text from note-tweet.js (§5.7).
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chatbot.archive.bounds import screen_name
from chatbot.archive.records import iter_records

if TYPE_CHECKING:
    from chatbot.archive.source import ArchiveSource

SNOWFLAKE_EPOCH_MS = 1288834974657
SNOWFLAKE_MIN = 1 << 40  # below this an id is a pre-2010 sequential id, not a snowflake
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
STATUS_LINK = re.compile(
    r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/([A-Za-z0-9_]{1,15})/status(?:es)?/(\d+)",
    re.IGNORECASE,
)
NOT_HANDLES = frozenset({"i", "intent", "home", "search", "hashtag", "share", "settings"})
# X's longest posts (Premium) hold 25,000 characters: longer texts are hostile input, cut so
# that the import does not split one of them into thousands of Bluesky posts.
MAX_TEXT_CHARS = 30_000
TWEET_TYPES = ("tweets", "tweet")  # 2022-10+ name first; both may be present (merged folders)


@dataclass
class TweetMedia:
    """One photo, video or GIF of a tweet (`extended_entities.media[]`)."""

    media_id: str
    type: str  # "photo", "video" or "animated_gif"
    media_url: str  # the photo, or the video's thumbnail
    file_key: str  # the file name after "<tweet id>-" in tweets_media/
    expanded_url: str | None = None
    source_tweet_id: int | None = None  # set on media copied from a retweeted post
    source_user_id: int | None = None
    duration_ms: int | None = None
    tco_url: str | None = None  # the t.co link X put in the tweet text for this media


@dataclass
class Tweet:
    """One of the owner's own posts, ready for import."""

    id: int
    created_at: dt.datetime | None
    text: str  # full text: HTML-unescaped, long posts merged from note-tweet.js
    lang: str | None = None
    reply_to_tweet_id: int | None = None
    reply_to_user_id: int | None = None
    reply_to_screen_name: str | None = None
    media: list[TweetMedia] = field(default_factory=list)
    urls: list[tuple[str, str]] = field(default_factory=list)  # (t.co link, expanded url)
    is_retweet: bool = False
    is_reply_to_other: bool = False
    circle: bool = False  # visible to a Twitter Circle only: never re-post publicly
    community: bool = False  # posted in a Community (community-tweet.js)
    possibly_sensitive: bool = False
    from_note: bool = False  # the text comes from note-tweet.js


def parse_date(value: object) -> dt.datetime | None:
    """``Fri Mar 06 13:02:05 +0000 2026``, classic ``2019-02-08 08:38:13 +0000`` or ISO."""
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 30 and value[3] == " ":
            hms = value[11:19].split(":")
            return dt.datetime(
                int(value[26:30]),
                _MONTHS[value[4:7]],
                int(value[8:10]),
                int(hms[0]),
                int(hms[1]),
                int(hms[2]),
                tzinfo=dt.UTC,
            )
        if value.endswith("Z"):
            value = value[:-1] + "+00:00"
        parsed = dt.datetime.fromisoformat(value.replace(" +0000", "+00:00"))
    except (ValueError, KeyError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def snowflake_ms(tweet_id: int) -> int | None:
    return (tweet_id >> 22) + SNOWFLAKE_EPOCH_MS if tweet_id >= SNOWFLAKE_MIN else None


def unescape(text: str) -> str:
    """X escapes only ``&``, ``<`` and ``>`` in ``full_text``."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def as_int(value: object) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 <= number < 2**63 else None


def tweet_body(record: Any) -> dict[str, Any]:
    if not isinstance(record, dict):
        return {}
    inner = record.get("tweet", record)
    return inner if isinstance(inner, dict) else {}


def is_superseded(tweet: dict[str, Any], tweet_id: int) -> bool:
    """True for an edited tweet's earlier versions (keep the last of ``editTweetIds``)."""
    info = tweet.get("edit_info")
    if not isinstance(info, dict):
        return False
    edits = info.get("initial") or (info.get("edit") or {}).get("editControlInitial")
    ids = edits.get("editTweetIds") if isinstance(edits, dict) else None
    if not isinstance(ids, list) or len(ids) < 2:
        return False
    return as_int(ids[-1]) != tweet_id


def media_list(tweet: dict[str, Any]) -> list[dict[str, Any]]:
    for key in ("extended_entities", "entities"):
        holder = tweet.get(key)
        media = holder.get("media") if isinstance(holder, dict) else None
        if isinstance(media, list) and media:
            return [m for m in media if isinstance(m, dict)]
    return []


def entities(tweet: dict[str, Any], key: str) -> list[dict[str, Any]]:
    holder = tweet.get("entities")
    items = holder.get(key) if isinstance(holder, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


# -- lazy Tweet records for the import ---------------------------------------------------------


def _media(item: dict[str, Any]) -> TweetMedia:
    url = str(item.get("media_url_https") or item.get("media_url") or "")
    key = url.rpartition("/")[2]
    info = item.get("video_info")
    duration = None
    if isinstance(info, dict):
        variants = [v for v in info.get("variants") or [] if isinstance(v, dict)]
        mp4 = [v for v in variants if v.get("content_type") == "video/mp4"]
        if mp4:
            best = max(mp4, key=lambda v: as_int(v.get("bitrate")) or 0)
            key = str(best.get("url") or "").partition("?")[0].rpartition("/")[2] or key
        duration = as_int(info.get("duration_millis"))
    return TweetMedia(
        media_id=str(item.get("id_str") or item.get("id") or ""),
        type=str(item.get("type") or "photo"),
        media_url=url,
        file_key=key,
        expanded_url=_str(item.get("expanded_url")),
        source_tweet_id=as_int(item.get("source_status_id_str") or item.get("source_status_id")),
        source_user_id=as_int(item.get("source_user_id_str") or item.get("source_user_id")),
        duration_ms=duration,
        tco_url=_str(item.get("url")),
    )


class _Notes:
    """note-tweet.js texts, matched to tweets by snowflake time and text prefix (§5.7)."""

    def __init__(self, notes: list[tuple[int, str]]) -> None:
        self._notes = sorted(notes)
        self._keys = [ms for ms, _ in self._notes]

    def match(self, tweet_id: int, text: str) -> str | None:
        ms = snowflake_ms(tweet_id)
        if ms is None or not self._notes:
            return None
        start = bisect.bisect_left(self._keys, ms - 2000)
        stop = bisect.bisect_right(self._keys, ms)
        prefix = text.removesuffix("…").rstrip()[:50]
        for _, note in reversed(self._notes[start:stop]):
            if note.startswith(prefix):
                return note
        return None


def make_tweet(
    tweet: dict[str, Any], tweet_id: int, owner_id: int | None, notes: _Notes, **flags: bool
) -> Tweet:
    raw = tweet.get("full_text")
    if not isinstance(raw, str):
        raw = tweet.get("text") if isinstance(tweet.get("text"), str) else ""
    text = unescape(str(raw)[:MAX_TEXT_CHARS])
    note = notes.match(tweet_id, text)
    reply_user = as_int(tweet.get("in_reply_to_user_id_str") or tweet.get("in_reply_to_user_id"))
    return Tweet(
        id=tweet_id,
        created_at=parse_date(tweet.get("created_at")),
        text=note[:MAX_TEXT_CHARS] if note is not None else text,
        lang=tweet.get("lang") if isinstance(tweet.get("lang"), str) else None,
        reply_to_tweet_id=as_int(tweet.get("in_reply_to_status_id_str")),
        reply_to_user_id=reply_user,
        reply_to_screen_name=screen_name(tweet.get("in_reply_to_screen_name")),
        media=[_media(m) for m in media_list(tweet)],
        urls=[
            (str(u.get("url") or ""), str(u.get("expanded_url") or u.get("url") or ""))
            for u in entities(tweet, "urls")
        ],
        is_retweet=text.startswith("RT @") or "retweeted_status" in tweet,
        is_reply_to_other=reply_user is not None and reply_user != owner_id,
        possibly_sensitive=tweet.get("possibly_sensitive") is True,
        from_note=note is not None,
        **flags,
    )


def _record_ids(source: ArchiveSource, kind: str) -> set[int]:
    ids: set[int] = set()
    for _, member in source.parts(kind):
        with source.open_member(member) as stream:
            for record in iter_records(stream, member.rel, source.limits.max_record_bytes):
                tweet_id = as_int(tweet_body(record).get("id_str"))
                if tweet_id is not None:
                    ids.add(tweet_id)
    return ids


def iter_source_tweets(source: ArchiveSource) -> Iterator[Tweet]:
    """See `ArchiveSource.iter_tweets`."""
    from chatbot.archive.reader import owner_id_of

    owner_id = owner_id_of(source)
    circle = _record_ids(source, "twitter-circle-tweet")
    notes: list[tuple[int, str]] = []
    for _, member in source.parts("note-tweet"):
        with source.open_member(member) as stream:
            for record in iter_records(stream, member.rel, source.limits.max_record_bytes):
                note = record.get("noteTweet") if isinstance(record, dict) else None
                core = note.get("core") if isinstance(note, dict) else None
                note_id = as_int(note.get("noteTweetId")) if isinstance(note, dict) else None
                ms = snowflake_ms(note_id) if note_id is not None else None
                if isinstance(core, dict) and isinstance(core.get("text"), str) and ms:
                    notes.append((ms, core["text"]))
    matcher = _Notes(notes)
    kinds = [k for k in TWEET_TYPES if source.has(k)]
    seen: set[int] | None = set() if len(kinds) > 1 else None
    for kind in [*kinds, "classic-tweets", "community-tweet"]:
        for _, member in source.parts(kind):
            with source.open_member(member) as stream:
                for record in iter_records(stream, member.rel, source.limits.max_record_bytes):
                    tweet = tweet_body(record)
                    tweet_id = as_int(tweet.get("id_str"))
                    if tweet_id is None or is_superseded(tweet, tweet_id):
                        continue
                    if seen is not None and kind in TWEET_TYPES:
                        if tweet_id in seen:
                            continue
                        seen.add(tweet_id)
                    yield make_tweet(
                        tweet,
                        tweet_id,
                        owner_id,
                        matcher,
                        circle=tweet_id in circle,
                        community=kind == "community-tweet",
                    )


def find_media(source: ArchiveSource, tweet_id: str, media: TweetMedia) -> str | None:
    """The media member of a tweet: exact name, then jpg/png swapped, then ``<id>-*``."""
    candidates = [f"<id>-{media.file_key}"]
    stem, _, ext = media.file_key.rpartition(".")
    swap = {"jpg": "png", "png": "jpg", "jpeg": "jpg"}.get(ext.lower())
    if swap:
        candidates.append(f"<id>-{stem}.{swap}")
    for candidate in candidates:
        for folder in ("tweets_media", "tweet_media", "community_tweet_media"):
            rel = f"{folder}/{candidate.replace('<id>', tweet_id)}"
            if rel in source.media:
                return rel
    others = source.media_by_tweet().get(tweet_id, [])
    want_video = media.type in ("video", "animated_gif")
    for rel in sorted(others):
        if stem and stem in rel:
            return rel
    for rel in sorted(others):
        if rel.lower().endswith(".mp4") == want_video:
            return rel
    return None
