"""What `/profile` writes: the archive's name and bio cut to each network's limits.

Pure: no network, no files read. Limits (platform-limits.md §3.4): Bluesky's
``app.bsky.actor.profile`` takes a displayName of at most 64 graphemes (640 bytes) and a
description of at most 256 graphemes (2,560 bytes); Mastodon's update_credentials a
display_name of at most 30 characters and a note of at most 500. Text cut short ends
with an ellipsis.

The archive's website is a t.co link whose expansion the archive does not have: it is
dropped (and the user told) rather than copied as a link that hides where it goes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from chatbot.archive import ParsedArchive

NETWORKS = ("bluesky", "mastodon")
ELLIPSIS = "…"


@dataclass(frozen=True)
class TextLimit:
    units: str  # "graphemes" (Bluesky) or "chars" (Mastodon: code points)
    count: int
    max_bytes: int | None = None  # UTF-8 bytes, also enforced by Bluesky's lexicon


LIMITS: dict[str, dict[str, TextLimit]] = {
    "bluesky": {
        "name": TextLimit("graphemes", 64, 640),
        "bio": TextLimit("graphemes", 256, 2560),
    },
    "mastodon": {"name": TextLimit("chars", 30), "bio": TextLimit("chars", 500)},
}
_TCO = re.compile(r"^https?://t\.co/", re.IGNORECASE)


@dataclass(frozen=True)
class ProfileDraft:
    """What will be written to one network; None fields are left as they are."""

    network: str
    display_name: str | None
    description: str | None
    shortened: tuple[str, ...] = ()  # "name", "bio": cut to the network's limit
    website_dropped: bool = False
    avatar: Path | None = None
    banner: Path | None = None

    @property
    def empty(self) -> bool:
        return not (self.display_name or self.description or self.avatar or self.banner)


def _extends(char: str) -> bool:
    """Does this code point continue the grapheme before it (marks, joiners, modifiers)?"""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")
        or code == 0x200D  # zero-width joiner
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # emoji skin tones
        or 0xE0020 <= code <= 0xE007F  # tag characters (flags of regions)
        or 0xE0100 <= code <= 0xE01EF
        or 0x1160 <= code <= 0x11FF  # Hangul medial vowels and final consonants
    )


def _regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def graphemes(text: str) -> list[str]:
    """User-perceived characters, close to Unicode extended grapheme clusters (UAX #29):
    combining marks, emoji ZWJ sequences, skin tones, tag and regional-indicator flags,
    and CR LF stay together."""
    clusters: list[str] = []
    joined = False  # the previous code point was a ZWJ: the next one joins it
    for char in text:
        if (
            (clusters and (joined or _extends(char)))
            or (clusters and char == "\n" and clusters[-1] == "\r")
            or (
                clusters and _regional(char) and len(clusters[-1]) == 1 and _regional(clusters[-1])
            )
        ):
            clusters[-1] += char
        else:
            clusters.append(char)
        joined = char == "\u200d"
    return clusters


def truncate(text: str, limit: TextLimit) -> tuple[str, bool]:
    """`text` within `limit` (ending with an ellipsis when cut), and whether it was cut."""
    units = graphemes(text) if limit.units == "graphemes" else list(text)

    def fits(parts: list[str]) -> bool:
        joined = "".join(parts)
        return limit.max_bytes is None or len(joined.encode()) <= limit.max_bytes

    if len(units) <= limit.count and fits(units):
        return text, False
    keep = units[: limit.count - 1]
    while keep and not fits([*keep, ELLIPSIS]):
        keep.pop()
    return "".join(keep).rstrip() + ELLIPSIS, True


def bio_text(parsed: ParsedArchive) -> tuple[str | None, bool]:
    """The bio to copy, and whether the website was dropped (a t.co link).

    A website that is not a t.co link (older archives) is kept on a line of its own.
    """
    profile = parsed.profile
    bio = (profile.bio or "").strip()
    website = (profile.website or "").strip()
    dropped = False
    if website and _TCO.match(website):
        dropped = True
    elif website and website not in bio:
        bio = f"{bio}\n{website}" if bio else website
    return bio or None, dropped


def display_name(parsed: ParsedArchive) -> str | None:
    name = (parsed.owner.display_name or "").strip()
    return name or None


def draft_profile(
    parsed: ParsedArchive, network: str, images: dict[str, Path] | None = None
) -> ProfileDraft:
    """What `/profile` would write to `network` from this archive and the kept pictures."""
    limits = LIMITS[network]
    shortened: list[str] = []
    name = display_name(parsed)
    if name is not None:
        name, cut = truncate(name, limits["name"])
        if cut:
            shortened.append("name")
    bio, dropped = bio_text(parsed)
    if bio is not None:
        bio, cut = truncate(bio, limits["bio"])
        if cut:
            shortened.append("bio")
    images = images or {}
    return ProfileDraft(
        network=network,
        display_name=name,
        description=bio,
        shortened=tuple(shortened),
        website_dropped=dropped,
        avatar=images.get("avatar"),
        banner=images.get("banner"),
    )
