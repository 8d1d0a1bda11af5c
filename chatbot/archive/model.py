"""The parsed archive: what the bot keeps from an X archive, and nothing else.

Pure data. Built by `chatbot.archive.reader`, merged by `chatbot.archive.merge`,
stored (facts only, never the raw archive) by `chatbot.storage`.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Era = Literal[
    "classic",  # A: Grailbird tweet archive (2012-2019): tweets only, no follow lists
    "gdpr-root",  # B/C: 2018-early 2020, *.js at the zip root, no manifest
    "manifest",  # D-H: 2020-03 onwards, data/ + data/manifest.js
    "data-no-manifest",  # a data/ folder without its manifest (slimmed by the user)
    "loose",  # single .js files sent one by one
]


class ArchiveError(Exception):
    """An input the bot cannot use. `code` names the locale key ``archive.error.<code>``.

    Codes: ``not_archive`` (not a zip nor an X data file), ``empty``, ``encrypted``,
    ``truncated`` (broken zip), ``too_big``, ``bomb`` (compression ratio or total size),
    ``too_many_entries``, ``nested`` (zip inside zip beyond the limit), ``no_data``
    (a zip without any X data file), ``malformed`` (a data file that is not valid
    JSON; param ``file``), ``unsupported`` (a recognised but unusable format).
    Parameters: ``too_big`` always has ``limit`` (MB), ``too_many_entries`` always has
    ``limit`` (entries), ``malformed`` always has ``file`` (a name inside the archive);
    the other codes have none.
    """

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(f"{code}: {params}" if params else code)
        self.code = code
        self.params = params


@dataclass
class Owner:
    """The account the archive belongs to (`account.js` / manifest `userInfo`)."""

    account_id: str | None = None
    username: str | None = None
    display_name: str | None = None
    created_at: dt.datetime | None = None
    previous_usernames: list[str] = field(default_factory=list)  # screen-name-change.js


@dataclass
class Profile:
    """The owner's public profile (`profile.js`)."""

    bio: str | None = None
    website: str | None = None
    location: str | None = None
    avatar_url: str | None = None
    header_url: str | None = None


@dataclass
class Counts:
    """Record counts; `None` when the archive does not say (file absent)."""

    tweets: int | None = None
    followers: int | None = None
    following: int | None = None
    likes: int | None = None
    blocks: int | None = None
    mutes: int | None = None
    lists: int | None = None


def id_array(values: Iterable[int] = ()) -> array[int]:
    """A compact array of X account ids (signed 64-bit; ids are < 2**63)."""
    return array("q", values)


@dataclass
class ParsedArchive:
    """Everything the bot needs from one archive (or several loose files merged).

    The four id lists (`following`, `followers`, `blocked`, `muted`) are packed arrays,
    sorted ascending and without duplicates, each at most its cap in `ArchiveLimits`
    (reading stops there; `warnings` then holds ``archive.capped.<list>``). Owner ids are
    decimal strings of at most 19 digits, usernames follow X's rule, names and profile
    texts are clipped (`chatbot.archive.bounds`).

    `handles` maps an X account id to the screen names seen for it in the owner's own
    posts (mentions, replies, retweets, retweeted media) with how often each was seen
    (at most `ArchiveLimits.max_handle_ids` accounts, 8 names each, valid X names only).
    `handles_without_id` counts screen names seen without an id (quote links,
    note-tweet mentions). `parts` records which part of which data type was read and
    how many records it had, so that the same file sent twice is not counted twice.
    `files_read` lists every archive member that was opened: the privacy tests check
    that it never names a private file.
    """

    era: Era
    owner: Owner = field(default_factory=Owner)
    profile: Profile = field(default_factory=Profile)
    counts: Counts = field(default_factory=Counts)
    generated_at: dt.datetime | None = None
    first_tweet: dt.datetime | None = None
    last_tweet: dt.datetime | None = None
    tweets_per_year: dict[int, int] = field(default_factory=dict)
    following: array[int] = field(default_factory=id_array)
    followers: array[int] = field(default_factory=id_array)
    blocked: array[int] = field(default_factory=id_array)
    muted: array[int] = field(default_factory=id_array)
    handles: dict[int, Counter[str]] = field(default_factory=dict)
    handles_without_id: Counter[str] = field(default_factory=Counter)
    parts: dict[str, dict[int, int]] = field(default_factory=dict)
    files_read: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # tweets per year of each tweets part read ({part: {year: count}}), so that merging a
    # part sent twice does not count its years twice. Empty when the years came from
    # tweet-headers.js or the manifest era has no parts information.
    tweet_years_by_part: dict[int, dict[int, int]] = field(default_factory=dict)
    # the owner's posts themselves were in this read (a tweets file, not only its index);
    # not stored: it says what the read that just happened could do
    posts_read: bool = False

    @property
    def handles_recovered(self) -> int:
        """How many distinct account ids have a known screen name."""
        return len(self.handles)

    def best_handle(self, account_id: int) -> str | None:
        """The most frequently seen screen name of an account, if any."""
        seen = self.handles.get(account_id)
        return seen.most_common(1)[0][0] if seen else None
