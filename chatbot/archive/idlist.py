"""Packed lists of X account ids: collected under a cap, sorted and deduplicated in place.

A follow list can hold tens of millions of ids, and a hostile one far more (threat model
§4.4). Ids live in an ``array('q')`` (8 bytes each, never a Python int per id); reading
stops at the list's cap; duplicates go by an in-place sort (numpy, on the array's own
buffer) and an in-place compaction, so the peak stays at the list's own size plus a
fixed block.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable, Sequence

from chatbot.archive.model import id_array
from chatbot.config import ArchiveLimits

W_CAPPED = "archive.capped."  # + followers, following, blocked, muted (or handles)
_SIGNED_MAX = 2**63 - 1
_BLOCK = 1 << 20  # ids compared and moved at a time while compacting


def id_limit(limits: ArchiveLimits, attr: str) -> int:
    """The cap of one id list (``attr`` as in `ParsedArchive`: followers, following...)."""
    return {
        "followers": limits.max_follower_ids,
        "following": limits.max_following_ids,
        "blocked": limits.max_blocked_ids,
        "muted": limits.max_blocked_ids,
    }[attr]


def dedupe(ids: array[int]) -> array[int]:
    """Sort `ids` ascending and drop duplicates, in place; returns the same array."""
    n = len(ids)
    if n < 2:
        return ids
    import numpy as np

    view = np.frombuffer(ids, dtype=np.int64)
    if not bool(np.all(view[1:] > view[:-1])):  # already sorted and unique: nothing to do
        view.sort()
        kept = 1
        for start in range(1, n, _BLOCK):
            stop = min(n, start + _BLOCK)
            new = view[start:stop][view[start:stop] != view[start - 1 : stop - 1]]
            view[kept : kept + len(new)] = new  # kept <= start: nothing unread is overwritten
            kept += len(new)
        del view
        del ids[kept:]
    return ids


def count_in(ids: array[int], wanted: Iterable[int]) -> int:
    """How many of `wanted` (distinct) are in the sorted list `ids`: a binary search each,
    so a short `wanted` never walks a list of millions."""
    found = 0
    for value in wanted:
        i = bisect.bisect_left(ids, value)
        found += i < len(ids) and ids[i] == value
    return found


def union(lists: Sequence[array[int]], limit: int) -> tuple[array[int], bool]:
    """The sorted, deduplicated union of `lists`, cut to `limit` ids (the smallest kept);
    and whether the cut applied."""
    merged = id_array()
    for ids in lists:
        merged.extend(ids)
    dedupe(merged)
    if len(merged) <= limit:
        return merged, False
    del merged[limit:]
    return merged, True


class IdCollector:
    """Ids appended in file order until `limit` records were taken (then `full`)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.ids = id_array()
        self.full = False

    def add(self, found: Sequence[bytes]) -> bool:
        """Append the decimal ids in `found`; False once the cap is reached."""
        room = self.limit - len(self.ids)
        if len(found) >= room:
            found = found[:room]
            self.full = True
        try:
            self.ids.extend(array("q", map(int, found)))
        except OverflowError:  # a 19-digit value above 2**63 - 1: not an account id
            self.ids.extend(v for v in map(int, found) if v <= _SIGNED_MAX)
        return not self.full
