"""The matching data model: matches, their reasons, directory entries and decisions.

Pure data. A `Reason` code names the locale key ``match.reason.<code>``; its params fill
the message's named placeholders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Network = Literal["bluesky", "mastodon", "threads"]  # Threads: user@threads.net accts
Tier = Literal["verified", "likely", "possible"]
Direction = Literal["following", "follower", "both"]
Decision = Literal["confirmed", "rejected"]
Provenance = Literal["user_link", "org_roster", "csv_import"]
NewAccountProof = Literal["none", "login", "bio_code"]
XProof = Literal["none", "oembed", "org_vouch"]

NETWORKS: tuple[Network, ...] = ("bluesky", "mastodon", "threads")
TIERS: tuple[Tier, ...] = ("verified", "likely", "possible")
TIER_RANK: Mapping[Tier, int] = {"verified": 3, "likely": 2, "possible": 1}

# (x_id, network, target) -> the user's decision; target is the DID or the acct.
Decisions = Mapping[tuple[int, str, str], Decision]


def best_tier(*tiers: Tier) -> Tier:
    return max(tiers, key=TIER_RANK.__getitem__)


def worst_tier(*tiers: Tier) -> Tier:
    return min(tiers, key=TIER_RANK.__getitem__)


@dataclass(frozen=True)
class Reason:
    """Why a match was proposed (or why it is weaker): ``match.reason.<code>``."""

    code: str
    params: tuple[tuple[str, str | int], ...] = ()

    @classmethod
    def of(cls, code: str, **params: str | int) -> Reason:
        return cls(code, tuple(sorted(params.items())))

    @property
    def key(self) -> str:
        return f"match.reason.{self.code}"

    def as_dict(self) -> dict[str, str | int]:
        return dict(self.params)


@dataclass(frozen=True)
class Match:
    """One X account found on one network."""

    x_id: int
    x_username: str | None
    network: Network
    handle: str | None  # Bluesky handle, or the Mastodon (or Threads) acct
    did: str | None  # Bluesky DID; None on Mastodon and Threads
    acct: str | None  # Mastodon acct (user@domain, user@threads.net); None on Bluesky
    tier: Tier
    reasons: tuple[Reason, ...]
    direction: Direction
    confirmed: bool = False  # the user confirmed this exact target before
    support: int | None = (
        None  # accounts the user knows that follow it or that it follows; None: not looked at
    )

    @property
    def target(self) -> str:
        """What a decision refers to: the DID on Bluesky, the acct on Mastodon."""
        return (self.did if self.network == "bluesky" else self.acct) or self.handle or ""

    @property
    def eligible_for_auto_follow(self) -> bool:
        """Verified, or confirmed by the user whatever its tier: the user's word counts."""
        return self.tier == "verified" or self.confirmed

    def reason_codes(self) -> tuple[str, ...]:
        return tuple(reason.code for reason in self.reasons)


@dataclass(frozen=True)
class DirectoryEntry:
    """A link X id -> Bluesky DID or Mastodon acct, with where it came from and its proofs.

    Each row is one source's claim: a user's own link (``user_link``), an organisation's
    roster (an admin's vouch, or a listed member's own accounts), or an operator's import.
    Its proofs were checked for that row only. `vouched_by` is filled when the directory is
    read: the name of the organisation whose vouch this is, when the bot's administrators
    approved it (None otherwise, and for every other row).
    """

    x_id: int
    x_username: str | None
    network: Network
    handle: str | None
    did: str | None = None
    acct: str | None = None
    provenance: Provenance = "user_link"
    provenance_detail: str | None = None
    new_account_proof: NewAccountProof = "none"
    x_proof: XProof = "none"
    findable: bool = True
    withdrawn_at: dt.datetime | None = None
    vouched_by: str | None = None

    @property
    def usable(self) -> bool:
        """Consent given and not withdrawn."""
        return self.findable and self.withdrawn_at is None

    @property
    def target(self) -> str:
        return (self.did if self.network == "bluesky" else self.acct) or self.handle or ""


@dataclass
class Observations:
    """What users' archives say about X ids: screen name -> number of distinct users.

    Only observers that may corroborate are counted: an archive never counts for the id its
    own ``account.js`` claims, and chat accounts younger than
    `chatbot.matching.spoofing.OBSERVER_MIN_AGE` do not count yet (forged archives from
    throwaway accounts, threat model §4.2 D5).

    `names_by_id` is keyed by X id; `ids_by_name` (lower-cased screen name -> {x_id: users})
    reveals screen names that several accounts used (renamed and re-registered names).
    """

    names_by_id: dict[int, dict[str, int]] = field(default_factory=dict)
    ids_by_name: dict[str, dict[int, int]] = field(default_factory=dict)

    def names(self, x_id: int) -> dict[str, int]:
        return self.names_by_id.get(x_id, {})

    def ids(self, screen_name: str) -> dict[int, int]:
        return self.ids_by_name.get(screen_name.lower(), {})
