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


def packed(values: IdsLike) -> Ids:
    """Sorted, unique int64 ids (an `array("q")` or an int64 array is read without a copy)."""
    if isinstance(values, np.ndarray | array | list | tuple):
        found = np.asarray(values, dtype=np.int64)
    else:
        found = np.fromiter(values, dtype=np.int64)
    return np.unique(found)


def among(ids: Ids, values: Iterable[int]) -> list[int]:
    """The `values` that are in the sorted `ids`, in their order."""
    wanted = np.fromiter(values, dtype=np.int64)
    if not len(wanted) or not len(ids):
        return []
    return [int(v) for v in wanted[np.isin(wanted, ids, assume_unique=False)]]


def contains(ids: Ids, value: int) -> bool:
    """Whether the sorted `ids` hold `value`."""
    at = int(np.searchsorted(ids, value))
    return at < len(ids) and int(ids[at]) == value


@dataclass(frozen=True)
class Contacts:
    """Who to look for: the accounts followed and the followers, blocked, muted and the
    owner left out; `ids` is both lists together."""

    following: Ids
    followers: Ids
    ids: Ids

    @classmethod
    def of(cls, parsed: ParsedArchive) -> Contacts:
        skip = np.union1d(packed(parsed.blocked), packed(parsed.muted))
        owner = parsed.owner.account_id
        if owner and owner.isdigit() and int(owner) < 2**63:
            skip = np.union1d(skip, np.array([int(owner)], dtype=np.int64))
        following = np.setdiff1d(packed(parsed.following), skip, assume_unique=True)
        followers = np.setdiff1d(packed(parsed.followers), skip, assume_unique=True)
        return cls(following, followers, np.union1d(following, followers))

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, x_id: object) -> bool:
        return isinstance(x_id, int) and contains(self.ids, x_id)

    def direction(self, x_id: int) -> Direction:
        """How the owner knows `x_id` (one of the contacts)."""
        followed = contains(self.following, x_id)
        if followed and contains(self.followers, x_id):
            return "both"
        return "following" if followed else "follower"

    def directions(self, x_ids: Sequence[int]) -> dict[int, Direction]:
        """`direction` of many contacts at once."""
        wanted = np.asarray(x_ids, dtype=np.int64)
        followed = np.isin(wanted, self.following).tolist()
        follower = np.isin(wanted, self.followers).tolist()
        out: dict[int, Direction] = {}
        for x_id, a, b in zip(wanted.tolist(), followed, follower, strict=True):
            out[x_id] = "both" if a and b else "following" if a else "follower"
        return out

    def among(self, values: Iterable[int]) -> list[int]:
        """The `values` that are contacts."""
        return among(self.ids, values)
