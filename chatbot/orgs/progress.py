"""The organisation's shared progress: aggregates only, never one member's numbers.

* joined: members linked to the organisation;
* moved: members with a connected or linked Bluesky or Mastodon account;
* follows: follows re-created by the members' jobs (followed or requested);
* share per network: of the X followers in the organisation's archive (the audience),
  the share with a verified or likely match on that network; None when unknown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select, union

from chatbot.matching.model import NETWORKS, Match
from chatbot.networks.types import NetworkUnavailable
from chatbot.orgs.store import Organisation, OrgStore, Snapshot
from chatbot.services import Services
from chatbot.storage.schema import connected_accounts, directory_entries, follow_log, org_members

FOLLOWED = ("followed", "requested")
GOOD_TIERS = ("verified", "likely")


@dataclass(frozen=True)
class Audience:
    """The organisation's X audience and the share of it found on each network."""

    followers: int = 0
    found: dict[str, int] = field(default_factory=dict)
    unavailable: str | None = None  # the network that did not answer
    missing: bool = True  # no audience archive yet

    def share(self, network: str) -> float | None:
        if self.missing or self.unavailable is not None or not self.followers:
            return None
        return self.found.get(network, 0) / self.followers


@dataclass(frozen=True)
class Progress:
    joined: int
    moved: int
    follows: int
    audience: Audience

    def snapshot(self, day: dt.date) -> Snapshot:
        share = self.audience.share
        return Snapshot(
            day, self.joined, self.moved, self.follows, share("bluesky"), share("mastodon")
        )


def audience_found(matches: list[Match]) -> dict[str, int]:
    """Distinct followers with a verified or likely match, per network."""
    found: dict[str, set[int]] = {network: set() for network in NETWORKS}
    for match in matches:
        if match.direction in ("follower", "both") and match.tier in GOOD_TIERS:
            found[match.network].add(match.x_id)
    return {network: len(ids) for network, ids in found.items()}


async def audience(services: Services, org: Organisation) -> Audience:
    from handlers.match_counts import user_matches  # the cached matching of handlers

    if org.audience_user_id is None:
        return Audience()
    parsed = await services.archives.load(org.audience_user_id)
    if parsed is None:
        return Audience()
    followers = len(parsed.followers)
    try:
        matches = await user_matches(services, org.audience_user_id, parsed=parsed)
    except NetworkUnavailable as exc:
        return Audience(followers, unavailable=exc.network, missing=False)
    return Audience(followers, audience_found(matches or []), missing=False)


async def measure(services: Services, org: Organisation) -> Progress:
    m = org_members.c
    members = select(m.user_id).where(m.org_id == org.id)
    c, d, f = connected_accounts.c, directory_entries.c, follow_log.c
    moved_users = union(
        select(c.user_id).where(c.user_id.in_(members)),
        select(d.user_id).where(d.user_id.in_(members), d.provenance == "user_link"),
    ).subquery()
    async with services.db.begin() as conn:
        joined = await conn.execute(select(func.count()).select_from(members.subquery()))
        joined_n = int(joined.scalar_one())
        moved_n = int(
            (await conn.execute(select(func.count()).select_from(moved_users))).scalar_one()
        )
        follows = select(func.count()).where(f.user_id.in_(members), f.status.in_(FOLLOWED))
        follows_n = int((await conn.execute(follows)).scalar_one())
    return Progress(joined_n, moved_n, follows_n, await audience(services, org))


async def record(services: Services, org: Organisation, day: dt.date) -> Progress:
    """Measure the organisation and store the day's snapshot."""
    progress = await measure(services, org)
    await OrgStore(services.db).save_snapshot(org.id, progress.snapshot(day))
    return progress
