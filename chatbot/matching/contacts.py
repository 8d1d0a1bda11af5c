"""The X ids an archive asks to match, kept packed: sorted int64 arrays, never one object each.

An organisation's archive may list millions of followers. Matching works on these arrays
in bulk (the directory joins them in the database, `MemoryDirectory` intersects them);
only the ids something is known about (a name, a directory row, an observation) become
Python objects. The array operations are those of `chatbot.archive.idlist`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from chatbot.archive.idlist import among, contains, joined, member, packed, without
from chatbot.archive.model import ParsedArchive, id_array
from chatbot.matching.model import Direction

if TYPE_CHECKING:
    from chatbot.archive.idlist import Ids


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
        mine = id_array([int(owner)] if valid else [])
        skip = joined(parsed.blocked, parsed.muted, mine)
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
