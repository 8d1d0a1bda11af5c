"""Competing claims and the social graph: rules R13 and R14 of `scoring`. Pure.

The Bluesky accounts found for one X account are weighed together, once the graph signal
(`Match.support`) is known:

* R13 a bio cross-link with ``MIN_SUPPORT_LINK`` accounts the user knows around it is
  likely; a handle equal to the name in the user's own archive needs
  ``MIN_SUPPORT_HANDLE``; a match resting on its bio and handle with zero support and no
  Bluesky verification is at most possible (``no_known_followers``). ``support is None``
  (the graph was not looked at: offline, nothing to compare with) changes nothing.
* R14 several accounts claim the X account (a bio cross-link or the handle): they are
  ranked by `strength`; one below the strongest is at most possible, and so is one without
  corroboration facing a rival with a cross-link. Each says that another account claims
  the name (``competing_claim``), and the graph support says why one stands out.

Directory rows (verified, vouched) are not weighed here: they carry their own proofs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from chatbot.matching.model import Match, Reason, Tier

MIN_SUPPORT_LINK = 1
MIN_SUPPORT_HANDLE = 3
HANDLE_CODES = frozenset({"handle_bsky_social", "handle_custom_domain"})
BLUESKY_VERIFIED = frozenset({"bluesky_verified", "bluesky_verified_by"})
# a tier that rests on something else than the bio and the handle, or a cap that holds
_DIRECTORY = frozenset({"directory_verified", "directory_vouched"})
_CAPPED = frozenset({"name_reused", "name_changed", "archives_disagree"})


def _codes(match: Match) -> set[str]:
    return {reason.code for reason in match.reasons}


def links(match: Match) -> bool:
    return "bio_links_x" in _codes(match)


def bluesky_verified(match: Match) -> bool:
    return bool(_codes(match) & BLUESKY_VERIFIED)


def corroborated(match: Match) -> bool:
    """Bluesky's verification, or at least one account the user knows around it."""
    return bluesky_verified(match) or (match.support or 0) >= MIN_SUPPORT_LINK


def strength(match: Match) -> tuple[bool, bool, int, bool, bool]:
    """How strongly an account claims the X account (R14): Bluesky's verification, then a
    corroborated cross-link, then graph support, then a cross-link, then the handle."""
    codes = _codes(match)
    link = "bio_links_x" in codes
    return (
        bool(codes & BLUESKY_VERIFIED),
        link and corroborated(match),
        match.support or 0,
        link,
        bool(codes & HANDLE_CODES),
    )


def _claims(match: Match) -> bool:
    codes = _codes(match)
    return (
        match.tier != "verified"
        and not codes & _DIRECTORY
        and ("bio_links_x" in codes or bool(codes & HANDLE_CODES))
    )


def _lifted(match: Match, codes: set[str]) -> Tier:
    """R13: the tier the graph gives a bio or handle match."""
    support, tier = match.support, match.tier
    if support is None or codes & _CAPPED:
        return tier
    link = "bio_links_x" in codes
    if tier == "possible" and link and support >= MIN_SUPPORT_LINK:
        return "likely"
    own_handle = "handle_only" in codes  # R4: only with a name from the user's archive
    if tier == "possible" and own_handle and support >= MIN_SUPPORT_HANDLE:
        return "likely"
    if tier == "likely" and support == 0 and not codes & BLUESKY_VERIFIED:
        return "possible"
    return tier


def weigh_claims(group: Sequence[Match]) -> list[Match]:
    """R13 and R14 on the Bluesky matches of one X account."""
    if any(m.tier == "verified" for m in group):
        return list(group)  # R9 keeps only the verified ones
    claimers = [m for m in group if _claims(m)]
    weighed = {id(m) for m in claimers}
    out: list[Match] = []
    for match in group:
        if id(match) not in weighed:
            out.append(match)
            continue
        codes = _codes(match)
        extra: list[Reason] = []
        tier = _lifted(match, codes)
        if match.support and "graph_support" not in codes:
            extra.append(Reason.of("graph_support", count=match.support))
        if tier != match.tier and match.support == 0:
            extra.append(Reason.of("no_known_followers"))
        rivals = [m for m in claimers if m is not match]
        if rivals:
            stronger = any(strength(r) > strength(match) for r in rivals)
            linked_rival = any(links(r) for r in rivals)
            if stronger or (linked_rival and not corroborated(match)):
                tier = "possible"
            extra.append(
                Reason.of("competing_claim", name=match.x_username or "", count=len(rivals))
            )
        out.append(replace(match, tier=tier, reasons=(*match.reasons, *extra)))
    return out
