"""Preparing an import from a re-sent archive: posts ready to send, media ready to upload.

Runs in a worker process (`ParserPool.prepare_posts`): it reads only the tweet files,
note-tweet.js, the Circle and Community lists, and the media files of the posts chosen;
photos are re-encoded here, once, below the blob limit (which also strips their
metadata); videos are copied when within Bluesky's limits. Everything else in the
archive is never opened, and the upload itself is deleted by the caller right after.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatbot.archive import ArchiveError
from chatbot.archive.reader import owner_id_of
from chatbot.archive.source import ArchiveSource, open_archive
from chatbot.archive.tweets import Tweet, TweetMedia
from chatbot.config import ArchiveLimits
from chatbot.posts.images import fit_image
from chatbot.posts.plan import PlannedTweet, plan_import
from chatbot.posts.text import compose, post_langs

log = logging.getLogger(__name__)

IMAGE_LIMIT = 1_000_000  # bytes: what every PDS and AppView accepts (§3.4; 2 MB is newer)
MAX_IMAGES = 4
VIDEO_MAX_BYTES = 50 * 1024 * 1024  # Bluesky's PDSes take blobs up to 50 MB (§3.1)
VIDEO_MAX_MS = 180_000  # what importers keep to; the app allows more, quotas are daily
ORIGINAL_PHOTO_BYTES = 20 * 1024 * 1024  # larger members are not photos X produced


@dataclass
class PreparedPost:
    tweet_id: int
    seq: int
    root_id: int
    parent_id: int | None
    created_at: dt.datetime | None
    parts: list[dict[str, Any]]  # {"text": str, "facets": [lexicon facets]}
    media: list[dict[str, Any]]  # {"file", "kind": image|video, "mime", "width", "height"}
    langs: list[str]
    note: str | None = None  # why some media was left out


@dataclass
class Prepared:
    posts: list[PreparedPost] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    media_left_out: Counter[str] = field(default_factory=Counter)
    first: dt.datetime | None = None
    last: dt.datetime | None = None

    @property
    def threads(self) -> int:
        return sum(1 for p in self.posts if p.parent_id is None)

    @property
    def images(self) -> int:
        return sum(1 for p in self.posts for m in p.media if m["kind"] == "image")

    @property
    def videos(self) -> int:
        return sum(1 for p in self.posts for m in p.media if m["kind"] == "video")

    @property
    def split(self) -> int:
        """Posts too long for one Bluesky post, sent as a short thread."""
        return sum(1 for p in self.posts if len(p.parts) > 1)


def prepare_posts(
    paths: Sequence[Path],
    media_dir: Path,
    *,
    mentions: Mapping[str, str] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limits: ArchiveLimits | None = None,
) -> Prepared:
    """Read the archive's own posts into `Prepared`, media files into `media_dir`.

    Raises `ArchiveError` for an unreadable archive (the same messages as an upload).
    """
    media_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open_archive(paths, limits or ArchiveLimits()) as source:
        owner = owner_id_of(source)
        plan = plan_import(source.iter_tweets(), since=since, until=until)
        prepared = Prepared(skipped=dict(plan.skipped), first=plan.first_date, last=plan.last_date)
        for seq, planned in enumerate(plan.posts):
            prepared.posts.append(_prepare(source, planned, seq, owner, mentions, media_dir,
                                           prepared.media_left_out))  # fmt: skip
    return prepared


def _prepare(
    source: ArchiveSource,
    planned: PlannedTweet,
    seq: int,
    owner: int | None,
    mentions: Mapping[str, str] | None,
    media_dir: Path,
    left_out: Counter[str],
) -> PreparedPost:
    tweet = planned.tweet
    own_media = [m for m in tweet.media if m.source_user_id is None or m.source_user_id == owner]
    media_links = [m.tco_url for m in tweet.media if m.tco_url]
    texts = compose(tweet.text, urls=tweet.urls, drop_links=media_links, mentions=mentions)
    media, note = _media(source, tweet, own_media, media_dir, left_out)
    if note is None and len(own_media) < len(tweet.media):
        note = "media_not_own"
        left_out[note] += len(tweet.media) - len(own_media)
    return PreparedPost(
        tweet_id=tweet.id,
        seq=seq,
        root_id=planned.root_id,
        parent_id=planned.parent_id,
        created_at=tweet.created_at,
        parts=[{"text": t.text, "facets": t.record_facets()} for t in texts],
        media=media,
        langs=post_langs(tweet.lang),
        note=note,
    )


def _media(
    source: ArchiveSource,
    tweet: Tweet,
    items: list[TweetMedia],
    media_dir: Path,
    left_out: Counter[str],
) -> tuple[list[dict[str, Any]], str | None]:
    """The media files of one post: up to four images, or one video (Bluesky's embeds)."""
    videos = [m for m in items if m.type in ("video", "animated_gif")]
    if videos:
        video = videos[0]
        if video.duration_ms is not None and video.duration_ms > VIDEO_MAX_MS:
            left_out["video_too_long"] += 1
            return [], "video_too_long"
        kept, problem = _copy_video(source, tweet, video, media_dir)
        if kept is None:
            left_out[problem] += 1
            return [], problem
        return [kept], None
    kept_images: list[dict[str, Any]] = []
    note = None
    for index, item in enumerate(items[:MAX_IMAGES]):
        image = _image(source, tweet, item, index, media_dir)
        if image is None:
            left_out["image_missing"] += 1
            note = "image_missing"
        else:
            kept_images.append(image)
    return kept_images, note


def _read(
    source: ArchiveSource, tweet: Tweet, item: TweetMedia, limit: int
) -> tuple[bytes | None, str]:
    """The media file's bytes, or None and why (`missing` or `too_big`)."""
    try:
        stream = source.open_media(tweet.id, item)
        if stream is None:
            return None, "missing"
        with stream:
            return stream.read_all(limit, item.file_key), ""
    except ArchiveError as exc:
        log.info("media of a post not readable: %s", exc.code)
        return None, "too_big" if exc.code == "too_big" else "missing"


def _image(
    source: ArchiveSource, tweet: Tweet, item: TweetMedia, index: int, media_dir: Path
) -> dict[str, Any] | None:
    data, _ = _read(source, tweet, item, ORIGINAL_PHOTO_BYTES)
    fitted = fit_image(data, IMAGE_LIMIT) if data else None
    if fitted is None:
        return None
    ext = "png" if fitted.mime == "image/png" else "jpg"
    name = f"{tweet.id}-{index}.{ext}"
    _write(media_dir / name, fitted.data)
    return {"file": name, "kind": "image", "mime": fitted.mime,
            "width": fitted.width, "height": fitted.height}  # fmt: skip


def _copy_video(
    source: ArchiveSource, tweet: Tweet, item: TweetMedia, media_dir: Path
) -> tuple[dict[str, Any] | None, str]:
    data, problem = _read(source, tweet, item, VIDEO_MAX_BYTES)
    if data is None:
        return None, f"video_{problem}"
    if data[4:8] != b"ftyp":  # not an MP4 container, as X exports videos and GIFs
        return None, "video_missing"
    name = f"{tweet.id}-video.mp4"
    _write(media_dir / name, data)
    return {"file": name, "kind": "video", "mime": "video/mp4"}, ""


def _write(path: Path, data: bytes) -> None:
    path.touch(mode=0o600)
    path.write_bytes(data)
