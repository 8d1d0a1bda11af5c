"""atproto TIDs (timestamp identifiers), the record keys of Bluesky posts.

A TID is a 64-bit integer written as 13 "base32-sortable" characters: the top bit is 0,
then 53 bits of microseconds since the UNIX epoch, then 10 bits of clock id
(https://atproto.com/specs/tid). Sorting the strings sorts the integers.
"""

from __future__ import annotations

import datetime as dt
import re

ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
TID_RE = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
TID_LENGTH = 13
MAX_MICROS = (1 << 53) - 1
MAX_CLOCK_ID = (1 << 10) - 1
SNOWFLAKE_EPOCH_MS = 1288834974657
SNOWFLAKE_MIN = 1 << 40  # below this a tweet id is a pre-2010 sequential id

_VALUES = {char: index for index, char in enumerate(ALPHABET)}


def tid(micros: int, clock_id: int = 0) -> str:
    """The TID for a time in microseconds since the UNIX epoch and a clock id (0..1023)."""
    if not 0 <= micros <= MAX_MICROS:
        raise ValueError(f"TID timestamp out of range: {micros}")
    if not 0 <= clock_id <= MAX_CLOCK_ID:
        raise ValueError(f"TID clock id out of range: {clock_id}")
    number = (micros << 10) | clock_id
    chars = []
    for _ in range(TID_LENGTH):
        chars.append(ALPHABET[number & 31])
        number >>= 5
    return "".join(reversed(chars))


def parse_tid(value: str) -> tuple[int, int]:
    """``(microseconds, clock id)`` of a TID; ValueError when it is not one."""
    if not TID_RE.match(value):
        raise ValueError(f"not a TID: {value!r}")
    number = 0
    for char in value:
        number = (number << 5) | _VALUES[char]
    return number >> 10, number & MAX_CLOCK_ID


def tweet_rkey(tweet_id: int, created_at: dt.datetime | None, part: int) -> str:
    """A deterministic record key for one post of an imported tweet.

    The same (tweet, part) always gives the same key, so retrying a create after a lost
    answer hits the record that already exists instead of making a duplicate. The time is
    the tweet's own (from its snowflake id, else ``created_at``); ``tweet_id % 1000`` fills
    the microseconds so that tweets of the same millisecond differ, and ``part`` (the
    index in the thread split) is the clock id.

    Raises:
        ValueError: ``part`` is not in 0..1023, or the tweet has no usable time.
    """
    if not 0 <= part <= MAX_CLOCK_ID:
        raise ValueError(f"thread part out of range: {part}")
    if tweet_id >= SNOWFLAKE_MIN:
        millis = (tweet_id >> 22) + SNOWFLAKE_EPOCH_MS
    elif created_at is not None:
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=dt.UTC)
        millis = int(created_at.timestamp()) * 1000 + created_at.microsecond // 1000
    else:
        raise ValueError(f"tweet {tweet_id} has no time for a record key")
    return tid(millis * 1000 + tweet_id % 1000, part)
