"""The X ids an archive asks to match, kept packed: sorted int64 arrays, never one object each.

An organisation's archive may list millions of followers. Matching works on these arrays
in bulk (the directory joins them in the database, `MemoryDirectory` intersects them);
only the ids something is known about (a name, a directory row, an observation) become
Python objects.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from chatbot.archive.model import ParsedArchive
from chatbot.matching.model import Direction

Ids = npt.NDArray[np.int64]
IdsLike = Ids | Sequence[int] | Iterable[int]


# Only sorting and binary search: numpy's own set functions (`unique`, `isin`) hash in
# numpy 2.x, which is ~10x slower on millions of ids than sorting them.


def _unique(ids: Ids, *, owned: bool) -> Ids:
    """`ids` sorted and unique; sorted in place when `owned` (a copy made here)."""
    if len(ids) < 2 or bool(np.all(ids[1:] > ids[:-1])):
        return ids  # already sorted and unique (contacts passed on): no copy
    if owned:
        ids.sort()
    else:
        ids = np.sort(ids)
    keep = np.empty(len(ids), dtype=bool)
    keep[0] = True
    np.not_equal(ids[1:], ids[:-1], out=keep[1:])
    return ids if keep.all() else ids[keep]


def packed(values: IdsLike) -> Ids:
    """Sorted, unique int64 ids from an int64 array (kept when already sorted and unique),
    or a copy of an `array("q")`, a list or any iterable (never a view of the caller's
    buffer: an `array` exporting its buffer could no longer grow)."""
    if isinstance(values, np.ndarray):
        return _unique(values.astype(np.int64, copy=False), owned=False)
    if isinstance(values, array | list | tuple):
        return _unique(np.array(values, dtype=np.int64), owned=True)
    return _unique(np.fromiter(values, dtype=np.int64), owned=True)


def member(ids: Ids, values: Ids) -> npt.NDArray[np.bool_]:
    """For each of `values`, whether the sorted `ids` hold it."""
    if not len(ids):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(ids, values), len(ids) - 1)
    return np.asarray(ids[at] == values)


def union(*parts: Ids) -> Ids:
    return _unique(np.concatenate(parts), owned=True) if parts else np.empty(0, dtype=np.int64)


def among(ids: Ids, values: Iterable[int]) -> list[int]:
    """The `values` that are in the sorted `ids`, in their order."""
    wanted = np.fromiter(values, dtype=np.int64)
    return [int(v) for v in wanted[member(ids, wanted)]] if len(wanted) else []


def contains(ids: Ids, value: int) -> bool:
    """Whether the sorted `ids` hold `value`."""
    at = int(np.searchsorted(ids, value))
    return at < len(ids) and int(ids[at]) == value


def without(ids: Ids, skip: Ids) -> Ids:
    """The sorted `ids` less the sorted `skip` (a few ids: one copy of `ids`, no more)."""
    if not len(ids) or not len(skip):
        return ids
    at = np.searchsorted(ids, skip)
    found = at < len(ids)
    found[found] = ids[at[found]] == skip[found]
    return np.delete(ids, at[found]) if found.any() else ids


@dataclass(frozen=True)
class Contacts:
    """Who to look for: the accounts followed and the followers, blocked, muted and the
    owner left out. `ids` is both lists together; `is_follower` says, for each of them,
    whether it follows the owner (9 bytes per follower in all)."""

    ids: Ids
    following: Ids
    is_follower: npt.NDArray[np.bool_]

    @classmethod
    def of(cls, parsed: ParsedArchive) -> Contacts:
        owner = parsed.owner.account_id or ""
        valid = owner.isascii() and owner.isdigit() and len(owner) <= 19 and int(owner) < 2**63
        mine = [int(owner)] if valid else []
        skip = union(packed(parsed.blocked), packed(parsed.muted), packed(mine))
        following = without(packed(parsed.following), skip)
        ids = without(packed(parsed.followers), skip)
        only_followed = following[~member(ids, following)]
        is_follower = np.ones(len(ids), dtype=bool)
        if len(only_followed):  # followed, not followers: slotted in (one copy of the ids)
            at = np.searchsorted(ids, only_followed)
            ids, is_follower = np.insert(ids, at, only_followed), np.insert(is_follower, at, False)
        return cls(ids, following, is_follower)

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, x_id: object) -> bool:
        return isinstance(x_id, int) and contains(self.ids, x_id)

    @property
    def followers(self) -> Ids:
        return self.ids[self.is_follower]

    def direction(self, x_id: int) -> Direction:
        """How the owner knows `x_id` (one of the contacts)."""
        return self.directions([x_id])[x_id]

    def directions(self, x_ids: Sequence[int]) -> dict[int, Direction]:
        """How the owner knows each of `x_ids` (contacts)."""
        wanted = np.asarray(x_ids, dtype=np.int64)
        followed = member(self.following, wanted).tolist()
        follower = [False] * len(wanted)
        if len(self.ids):
            at = np.minimum(np.searchsorted(self.ids, wanted), len(self.ids) - 1)
            follower = (member(self.ids, wanted) & self.is_follower[at]).tolist()
        out: dict[int, Direction] = {}
        for x_id, a, b in zip(wanted.tolist(), followed, follower, strict=True):
            out[x_id] = "both" if a and b else "following" if a else "follower"
        return out

    def among(self, values: Iterable[int]) -> list[int]:
        """The `values` that are contacts."""
        return among(self.ids, values)
