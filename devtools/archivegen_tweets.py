"""Tweet records of the synthetic archive: shapes, texts, entities, media (§5.4, §12.2).

A `Shape` fixes the structure of a record (which keys, how many mentions and media);
`build_tweet` writes the record with the values of a mapping, so that one rendering
per shape gives a fast template (see `archivegen_json.TemplateCache`).
"""

from __future__ import annotations

import datetime as dt
import random
import string
from dataclasses import dataclass
from typing import Any, NamedTuple

SNOWFLAKE_EPOCH_MS = 1288834974657
SNOWFLAKE_START = dt.datetime(2010, 11, 4, 21, 0, tzinfo=dt.UTC)
KEY_CHARS = string.ascii_letters + string.digits + "_-"
WORDS = [
    "maps",
    "open",
    "data",
    "river",
    "city",
    "walk",
    "coffee",
    "train",
    "fediverse",
    "bluesky",
    "mastodon",
    "migration",
    "archive",
    "thread",
    "morning",
    "evening",
    "rain",
    "sun",
    "garden",
    "book",
    "read",
    "write",
    "code",
    "python",
    "rust",
    "music",
    "concert",
    "friends",
    "family",
    "work",
    "remote",
    "office",
    "bike",
    "trip",
    "mountain",
    "lake",
    "sea",
    "photo",
    "video",
    "news",
    "politics",
    "science",
    "climate",
    "energy",
    "solar",
    "wind",
    "school",
    "learn",
    "teach",
    "café",
    "naïve",
    "façade",
    "Zürich",
    "東京",
    "Ελλάδα",
]
SPICE = ("&", "<3", "a > b", "x < y", "R&D", "🦋", "🇫🇷", "𝕏", "😀", "“quotes”", '"raw"')
SOURCES = (
    '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
    '<a href="http://twitter.com/download/iphone" rel="nofollow">Twitter for iPhone</a>',
    '<a href="http://twitter.com/download/android" rel="nofollow">Twitter for Android</a>',
)
SIZES = {
    "thumb": {"w": "150", "h": "150", "resize": "crop"},
    "medium": {"w": "1200", "h": "900", "resize": "fit"},
    "small": {"w": "680", "h": "510", "resize": "fit"},
    "large": {"w": "1600", "h": "1200", "resize": "fit"},
}


class Shape(NamedTuple):
    kind: str  # plain | reply_self | reply_other | mention_start | rt | quote
    mentions: int  # entities.user_mentions (the first is the RT author for rt)
    media: str  # "" | photo | photo2 | video | gif
    media_source: bool  # RT media carry source_status_id / source_user_id
    edit: str  # "" (no edit_info) | initial | edit
    edit_ids: int  # length of editTweetIds
    sensitive: bool
    reply_name: bool  # in_reply_to_screen_name present (absent for deleted accounts)
    withheld: bool
    wrapped: bool  # {"tweet": {...}} (2020+) or the bare object (2018-2019)


def snowflake(when: dt.datetime, seq: int) -> int:
    """A tweet/media id of that time: a snowflake, or a small sequential id before 2010-11."""
    if when < SNOWFLAKE_START:
        return max(20, int((when - dt.datetime(2006, 3, 21, tzinfo=dt.UTC)).total_seconds()) * 10)
    ms = int(when.timestamp() * 1000)
    return ((ms - SNOWFLAKE_EPOCH_MS) << 22) | ((seq % 32) << 12) | (seq % 4096)


def created_at(when: dt.datetime) -> str:
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return (
        f"{days[when.weekday()]} {months[when.month - 1]} {when.day:02d} "
        f"{when:%H:%M:%S} +0000 {when.year}"
    )


def iso(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def key(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(KEY_CHARS) for _ in range(n))


@dataclass
class Person:
    id: int
    handle: str
    name: str


def _indices(v: dict[str, str], prefix: str) -> list[str]:
    return [v[f"{prefix}_s"], v[f"{prefix}_e"]]


def _media_item(shape: Shape, v: dict[str, str], i: int) -> dict[str, Any]:
    p = f"md{i}"
    item: dict[str, Any] = {
        "expanded_url": v[f"{p}_expanded"],
        "indices": _indices(v, "mu"),
        "url": v["mu_url"],
        "media_url": v[f"{p}_url"],
        "id_str": v[f"{p}_id"],
    }
    if shape.media in ("video", "gif"):
        variants: list[dict[str, str]]
        if shape.media == "video":
            item["video_info"] = {
                "aspect_ratio": ["16", "9"],
                "duration_millis": v[f"{p}_duration"],
                "variants": [
                    {"content_type": "application/x-mpegURL", "url": v[f"{p}_m3u8"]},
                    {"bitrate": "256000", "content_type": "video/mp4", "url": v[f"{p}_low"]},
                    {"bitrate": "2176000", "content_type": "video/mp4", "url": v[f"{p}_best"]},
                    {"bitrate": "832000", "content_type": "video/mp4", "url": v[f"{p}_mid"]},
                ],
            }
            item["additional_media_info"] = {"monetizable": False}
        else:
            variants = [{"bitrate": "0", "content_type": "video/mp4", "url": v[f"{p}_best"]}]
            item["video_info"] = {"aspect_ratio": ["4", "3"], "variants": variants}
    if shape.media_source:
        item["source_status_id"] = v["src_tid"]
        item["source_status_id_str"] = v["src_tid"]
        item["source_user_id"] = v["src_uid"]
        item["source_user_id_str"] = v["src_uid"]
    item["id"] = v[f"{p}_id"]
    item["media_url_https"] = v[f"{p}_urls"]
    item["sizes"] = SIZES
    item["type"] = (
        "photo"
        if shape.media.startswith("photo")
        else ("video" if shape.media == "video" else "animated_gif")
    )
    item["display_url"] = v["mu_display"]
    return item


def build_tweet(shape: Shape, v: dict[str, str]) -> dict[str, Any]:
    """One tweets.js record of `shape`, every variable value read from `v`."""
    t: dict[str, Any] = {}
    if shape.edit:
        ids = [v[f"e{i}"] for i in range(shape.edit_ids)]
        control = {
            "editTweetIds": ids,
            "editableUntil": v["editable_until"],
            "editsRemaining": v["edits_remaining"],
            "isEditEligible": True,
        }
        t["edit_info"] = (
            {"initial": control}
            if shape.edit == "initial"
            else {"edit": {"initialTweetId": v["e0"], "editControlInitial": control}}
        )
    t["retweeted"] = False
    t["source"] = v["source"]
    entities: dict[str, Any] = {"hashtags": [], "symbols": []}
    if shape.kind != "rt":
        entities["hashtags"] = [{"text": v["tag"], "indices": _indices(v, "tag")}]
    entities["user_mentions"] = [
        {
            "name": v[f"m{i}_name"],
            "screen_name": v[f"m{i}_sn"],
            "indices": _indices(v, f"m{i}"),
            "id_str": v[f"m{i}_id"],
            "id": v[f"m{i}_id"],
        }
        for i in range(shape.mentions)
    ]
    entities["urls"] = []
    if shape.kind == "quote":
        entities["urls"] = [
            {
                "url": v["q_url"],
                "expanded_url": v["q_expanded"],
                "display_url": v["q_display"],
                "indices": _indices(v, "q"),
            }
        ]
    n_media = 2 if shape.media == "photo2" else (1 if shape.media else 0)
    if n_media:
        entities["media"] = [_media_item(shape, v, 0)]
    t["entities"] = entities
    t["display_text_range"] = ["0", v["len"]]
    t["favorite_count"] = v["fav"]
    if shape.kind in ("reply_self", "reply_other"):
        t["in_reply_to_status_id_str"] = v["r_sid"]
    t["id_str"] = v["id_str"]
    if shape.kind in ("reply_self", "reply_other", "mention_start"):
        t["in_reply_to_user_id"] = v["r_uid"]
    t["truncated"] = False
    t["retweet_count"] = v["rts"]
    t["id"] = v["id"]
    if shape.kind in ("reply_self", "reply_other"):
        t["in_reply_to_status_id"] = v["r_sid"]
    if shape.sensitive:
        t["possibly_sensitive"] = False
    t["created_at"] = v["created_at"]
    t["favorited"] = False
    t["full_text"] = v["full_text"]
    t["lang"] = v["lang"]
    if shape.kind in ("reply_self", "reply_other", "mention_start"):
        if shape.reply_name:
            t["in_reply_to_screen_name"] = v["r_sn"]
        t["in_reply_to_user_id_str"] = v["r_uid"]
    if shape.withheld:
        t["withheld_in_countries"] = ["DE", "IN"]
    if n_media:
        t["extended_entities"] = {"media": [_media_item(shape, v, i) for i in range(n_media)]}
    return {"tweet": t} if shape.wrapped else t


class TextBuilder:
    """Builds an escaped full_text piece by piece, recording code-point indices."""

    def __init__(self) -> None:
        self.text = ""
        self.plain = ""
        self.values: dict[str, str] = {}

    def add(self, piece: str, name: str | None = None) -> None:
        start = len(self.text)
        self.text += html_escape(piece)
        self.plain += piece
        if name:
            self.values[f"{name}_s"] = str(start)
            self.values[f"{name}_e"] = str(len(self.text))


def words(rng: random.Random, n: int) -> str:
    out = [rng.choice(WORDS) for _ in range(n)]
    if rng.random() < 0.3:
        out.insert(rng.randrange(len(out) + 1), rng.choice(SPICE))
    return " ".join(out)
