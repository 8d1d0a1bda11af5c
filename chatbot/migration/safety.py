"""The blocked and muted X accounts found on Bluesky and Mastodon: what `/blocks` offers.

Follow matching leaves blocked and muted ids out (nobody is ever offered to follow
them); this matches those ids alone, with the same engine and evidence rules, as
"safety" matches that only the blocks step uses. Only sure ones are carried over:
verified, or confirmed by the user; an unconfirmed likely or possible one never is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from chatbot.archive.model import ParsedArchive, id_array
from chatbot.matching import match_archive
from chatbot.matching.model import Match
from chatbot.storage.directory import DecisionStore, DirectoryStore

if TYPE_CHECKING:
    from chatbot.services import Services


@dataclass(frozen=True)
class SafetyMatch:
    match: Match
    blocked: bool
    muted: bool

    @property
    def sure(self) -> bool:
        return self.match.eligible_for_auto_follow  # verified, or confirmed by the user

    @property
    def to_review(self) -> bool:
        return self.match.tier == "likely" and not self.match.confirmed


def safety_archive(parsed: ParsedArchive) -> ParsedArchive:
    """The archive reduced to its blocked and muted ids (looked for as one direction)."""
    wanted = list(dict.fromkeys([*parsed.blocked, *parsed.muted]))
    empty = id_array()
    return replace(parsed, following=id_array(wanted), followers=empty, blocked=empty,
                   muted=empty)  # fmt: skip


async def safety_matches(
    services: Services, user_id: int, parsed: ParsedArchive
) -> list[SafetyMatch]:
    """The blocked and muted accounts found (raises `NetworkUnavailable`)."""
    if not (len(parsed.blocked) or len(parsed.muted)):
        return []
    decisions = await DecisionStore(services.db).load(user_id)
    found = await match_archive(
        safety_archive(parsed),
        DirectoryStore(services.db),
        services.bluesky,
        services.mastodon,
        decisions=decisions,
    )
    blocked, muted = set(parsed.blocked), set(parsed.muted)
    return [SafetyMatch(m, m.x_id in blocked, m.x_id in muted) for m in found]


def targets(found: list[SafetyMatch], network: str) -> tuple[list[str], list[str]]:
    """The sure accounts to block and to mute on `network` (DIDs or accts), once each."""
    blocks: dict[str, None] = {}
    mutes: dict[str, None] = {}
    for item in found:
        match = item.match
        target = match.did if network == "bluesky" else match.acct
        if match.network != network or not item.sure or not target:
            continue
        if item.blocked:
            blocks.setdefault(target, None)
        elif item.muted:  # a blocked account needs no mute as well
            mutes.setdefault(target, None)
    return list(blocks), list(mutes)
