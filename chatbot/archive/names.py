"""File names of the archive: which members are data files, which may be read at all.

The allowlist is the privacy boundary of the reader: a member whose name is not
allowed here is never opened (DMs, IP logs, e-mail, phone, contacts, device tokens,
age, personalisation, Grok chats, deleted tweets ...). See §5.12 of the spec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Data types the reader may open (kebab-case file base, without ``-partN.js``).
ALLOWED_TYPES = frozenset(
    {
        "manifest",
        "account",
        "profile",
        "follower",
        "following",
        "tweet",
        "tweets",
        "note-tweet",
        "tweet-headers",
        "like",
        "block",
        "mute",
        "lists-created",
        "screen-name-change",
        "community-tweet",
        "twitter-circle-tweet",
        "protected-history",
    }
)
# Types whose presence tells that a folder is the archive's data folder.
ANCHOR_TYPES = frozenset(
    {"manifest", "account", "follower", "following", "tweet", "tweets", "tweet-headers", "like"}
)
# Classic (Grailbird, era A) members, relative to the classic root.
CLASSIC_FILES = {
    "data/js/tweet_index.js": "classic-index",
    "data/js/user_details.js": "classic-user",
    "data/js/payload_details.js": "classic-payload",
}
_CLASSIC_MONTH = re.compile(r"^data/js/tweets/(\d{4})_(\d{2})\.js$")
_DATA_NAME = re.compile(r"^(?P<base>[a-z][a-z0-9_-]{0,63}?)(?:-part(?P<part>\d{1,6}))?\.js$")
# Folders of the owner's own tweet media (tweets_media since 2022-10, tweet_media before).
MEDIA_DIRS = ("tweets_media", "tweet_media", "community_tweet_media")
# The owner's public avatar and banner (§6.1): opened only by `chatbot.archive.profile_media`.
PROFILE_MEDIA_DIR = "profile_media"
_COPY_SUFFIX = re.compile(r"(?: ?\(\d{1,3}\)| copy(?: \d{1,3})?)(?=\.js$)")


@dataclass(frozen=True)
class DataName:
    """A data file name split into its type and part number."""

    type: str
    part: int


def parse_data_name(basename: str) -> DataName | None:
    """``tweets-part2.js`` -> DataName("tweets", 2); None for anything else."""
    match = _DATA_NAME.match(basename.lower())
    if match is None:
        return None
    base = match.group("base").replace("_", "-")
    return DataName(base, int(match.group("part") or 0))


def allowed_data_name(basename: str) -> DataName | None:
    """The DataName of an allowlisted data file, else None (never open it)."""
    name = parse_data_name(basename)
    return name if name is not None and name.type in ALLOWED_TYPES else None


def clean_loose_name(basename: str) -> str:
    """Undo the renaming of downloads: ``follower (1).js``, ``follower.js.txt``."""
    name = basename.strip()
    for suffix in (".txt", ".json"):
        if name.lower().endswith(".js" + suffix):
            name = name[: -len(suffix)]
    return _COPY_SUFFIX.sub("", name)


def classic_month(rel: str) -> int | None:
    """``data/js/tweets/2019_02.js`` -> 201902 (a sortable part key), else None."""
    match = _CLASSIC_MONTH.match(rel)
    return int(match.group(1)) * 100 + int(match.group(2)) if match else None


def normalise(name: str) -> str | None:
    """A zip member name as a clean relative path, or None for junk entries.

    Directories, ``__MACOSX/`` resource forks, ``._*`` AppleDouble files, ``.DS_Store``
    and names climbing out of the archive (``..``) are junk.
    """
    clean = name.replace("\\", "/").lstrip("/")
    while clean.startswith("./"):
        clean = clean[2:]
    if not clean or clean.endswith("/"):
        return None
    parts = clean.split("/")
    if any(p in ("..", "__MACOSX") for p in parts):
        return None
    base = parts[-1]
    if base.startswith("._") or base in (".DS_Store", "Thumbs.db", "desktop.ini"):
        return None
    return clean
