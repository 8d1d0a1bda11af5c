"""Where an X network went: how many of the accounts followed, and of the followers, were
found on each network, by tier. Pure: matches in, counts out (drawn by
`chatbot.summary.netchart`).

Each X account counts once per direction and network, at its best tier there (an account
with a likely and a possible candidate on Bluesky is one likely account on Bluesky).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from chatbot.matching.model import NETWORKS, TIER_RANK, TIERS, Match, Tier

Side = Literal["following", "followers"]
SIDES: tuple[Side, ...] = ("following", "followers")
_DIRECTIONS: Mapping[Side, tuple[str, ...]] = {
    "following": ("following", "both"),
    "followers": ("follower", "both"),
}


@dataclass(frozen=True)
class Reach:
    """Accounts found per (side, network, tier), and the sizes of both sides on X."""

    totals: Mapping[Side, int]  # accounts followed on X, followers on X
    found: Mapping[tuple[Side, str, Tier], int] = field(default_factory=dict)
    reached: Mapping[Side, int] = field(default_factory=dict)  # found on any network

    def count(self, side: Side, network: str, tier: Tier | None = None) -> int:
        """Accounts of `side` found on `network` (at `tier`, or at any tier)."""
        tiers = (tier,) if tier is not None else TIERS
        return sum(self.found.get((side, network, t), 0) for t in tiers)

    def bars(self, side: Side) -> list[tuple[str, tuple[int, ...]]]:
        """(network, counts per tier in `TIERS` order) for each network."""
        return [
            (network, tuple(self.count(side, network, tier) for tier in TIERS))
            for network in NETWORKS
        ]

    @property
    def empty(self) -> bool:
        return not any(self.found.values())


def reach_of(
    matches: Iterable[Match], *, following: int, followers: int, sides: Iterable[Side] = SIDES
) -> Reach:
    """Count the distinct X accounts of `matches` per side, network and best tier."""
    wanted = tuple(sides)
    best: dict[tuple[Side, str, int], Tier] = {}
    for match in matches:
        for side in wanted:
            if match.direction not in _DIRECTIONS[side]:
                continue
            key = (side, match.network, match.x_id)
            seen = best.get(key)
            if seen is None or TIER_RANK[match.tier] > TIER_RANK[seen]:
                best[key] = match.tier
    found: dict[tuple[Side, str, Tier], int] = {}
    for (side, network, _), tier in best.items():
        found[side, network, tier] = found.get((side, network, tier), 0) + 1
    reached = {side: len({x for s, _, x in best if s == side}) for side in wanted}
    totals = {"following": following, "followers": followers}
    return Reach({side: totals[side] for side in wanted}, found, reached)
