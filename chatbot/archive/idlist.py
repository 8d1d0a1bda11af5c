"""Packed lists of X account ids: collected under a cap, kept sorted and unique, and
compared in bulk. The one place ids are sorted, deduplicated and intersected.

A follow list can hold tens of millions of ids, and a hostile one far more (threat model
§4.4). An archive's lists live in an ``array('q')`` (8 bytes each, never a Python int
per id); reading stops at the list's cap; duplicates go by an in-place sort (numpy, on
the array's own buffer) and an in-place compaction, so the peak stays at the list's own
size plus a fixed block. Matching works on numpy int64 copies of them (`Ids`, `packed`)
with sorting and binary search only: numpy's own set functions (`unique`, `isin`) hash
in numpy 2.x, ~10x slower on millions of ids than sorting them (issue 13).

numpy is imported on first use: lists of a few thousand ids are sorted without it, so
``chatbot summary`` of an ordinary archive never loads it.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from chatbot.archive.model import id_array
from chatbot.config import ArchiveLimits

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Ids = npt.NDArray[np.int64]  # sorted, unique
    IdsLike = Ids | Sequence[int] | Iterable[int]

W_CAPPED = "archive.capped."  # + followers, following, blocked, muted (or handles)
_SIGNED_MAX = 2**63 - 1
_BLOCK = 1 << 20  # ids compared and moved at a time while compacting
SMALL = 50_000  # below this many ids, sorted without numpy (its import costs more)


def id_limit(limits: ArchiveLimits, attr: str) -> int:
    """The cap of one id list (``attr`` as in `ParsedArchive`: followers, following...)."""
    return {
        "followers": limits.max_follower_ids,
        "following": limits.max_following_ids,
        "blocked": limits.max_blocked_ids,
        "muted": limits.max_blocked_ids,
    }[attr]


# -- sorting and deduplicating in place ------------------------------------------------------


def _is_set(view: Ids) -> bool:
    """Whether `view` is sorted ascending without duplicates."""
    return len(view) < 2 or bool((view[1:] > view[:-1]).all())


def _compact(view: Ids) -> int:
    """Sort `view` in place and move its distinct values to its front; how many there are."""
    n = len(view)
    if _is_set(view):
        return n
    view.sort()
    kept = 1
    for start in range(1, n, _BLOCK):
        stop = min(n, start + _BLOCK)
        new = view[start:stop][view[start:stop] != view[start - 1 : stop - 1]]
        view[kept : kept + len(new)] = new  # kept <= start: nothing unread is overwritten
        kept += len(new)
    return kept


def dedupe(ids: array[int]) -> array[int]:
    """Sort `ids` ascending and drop duplicates, in place; returns the same array."""
    if len(ids) < SMALL:
        ids[:] = array("q", sorted(set(ids)))
        return ids
    import numpy as np

    view = np.frombuffer(ids, dtype=np.int64)
    kept = _compact(view)
    del view  # the array may change size again
    del ids[kept:]
    return ids


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


# -- looking ids up --------------------------------------------------------------------------


def contains(ids: array[int] | Ids, value: int) -> bool:
    """Whether the sorted `ids` hold `value` (a binary search)."""
    at = bisect.bisect_left(ids, value)
    return at < len(ids) and int(ids[at]) == value


def count_in(ids: array[int], wanted: Iterable[int]) -> int:
    """How many of `wanted` (distinct) are in the sorted list `ids`: a binary search each,
    so a short `wanted` never walks a list of millions."""
    return sum(contains(ids, value) for value in wanted)


def packed(values: IdsLike) -> Ids:
    """Sorted, unique int64 ids from an int64 array (kept when already sorted and unique),
    or a copy of an `array("q")`, a list or any iterable (never a view of the caller's
    buffer: an `array` exporting its buffer could no longer grow)."""
    import numpy as np

    if isinstance(values, np.ndarray):
        ids = values.astype(np.int64, copy=False)
        if _is_set(ids):
            return ids  # contacts passed on: no copy
        ids = ids.copy()
    elif isinstance(values, array | list | tuple):
        ids = np.array(values, dtype=np.int64)
    else:
        ids = np.fromiter(values, dtype=np.int64)
    return ids[: _compact(ids)]


def joined(*lists: array[int] | Ids) -> Ids:
    """The sorted, unique ids of all `lists` together (one copy of them)."""
    import numpy as np

    parts: list[Any] = [np.asarray(ids, dtype=np.int64) for ids in lists]
    return packed(np.concatenate(parts) if parts else np.empty(0, dtype=np.int64))


def member(ids: Ids, values: Ids) -> npt.NDArray[np.bool_]:
    """For each of `values`, whether the sorted `ids` hold it."""
    import numpy as np

    if not len(ids):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(ids, values), len(ids) - 1)
    return np.asarray(ids[at] == values)


def among(ids: Ids, values: Iterable[int]) -> list[int]:
    """The `values` that are in the sorted `ids`, in their order."""
    import numpy as np

    wanted = np.fromiter(values, dtype=np.int64)
    return [int(v) for v in wanted[member(ids, wanted)]] if len(wanted) else []


def without(ids: Ids, skip: Ids) -> Ids:
    """The sorted `ids` less the sorted `skip` (a few ids: one copy of `ids`, no more)."""
    import numpy as np

    if not len(ids) or not len(skip):
        return ids
    at = np.searchsorted(ids, skip)
    found = at < len(ids)
    found[found] = ids[at[found]] == skip[found]
    return np.delete(ids, at[found]) if found.any() else ids


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
