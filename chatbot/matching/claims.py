"""Competing claims: rule R14 of `scoring`. Pure.

When several Bluesky accounts claim one X account (a bio cross-link or the handle), they
are weighed together, once the graph signal (`Match.support`, filled by
`chatbot.matching.graph`, which also lifts and drops tiers on it alone) is known:

* they are ranked by `strength`: Bluesky's own verification, then a cross-link that
  something corroborates (verification, or accounts the user knows around it), then the
  graph support, then a cross-link, then the handle;
* one below the strongest is at most possible, and so is one without corroboration facing
  a rival with a cross-link: an impostor who took the exact X name as handle and copied
  the link never outranks the real person on another handle with a genuine one;
* each says that another account claims the name (``competing_claim``, with how many),
  next to its graph support, so the user sees why one stands out.

``support is None`` (the graph was not looked at: offline, nothing to compare with) counts
as no corroboration. Directory rows (verified, vouched) are not weighed here: they carry
their own proofs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from chatbot.matching.model import Match, Reason, Tier

MIN_SUPPORT = 1  # accounts the user knows around an account: its link is corroborated
HANDLE_CODES = frozenset({"handle_bsky_social", "handle_custom_domain"})
BLUESKY_VERIFIED = frozenset({"bluesky_verified", "bluesky_verified_by"})
_DIRECTORY = frozenset({"directory_verified", "directory_vouched"})


def _codes(match: Match) -> set[str]:
    return {reason.code for reason in match.reasons}


def links(match: Match) -> bool:
    return "bio_links_x" in _codes(match)


def corroborated(match: Match) -> bool:
    """Bluesky's verification, or at least one account the user knows around it."""
    return bool(_codes(match) & BLUESKY_VERIFIED) or (match.support or 0) >= MIN_SUPPORT


def strength(match: Match) -> tuple[bool, bool, int, bool, bool]:
    """How strongly an account claims the X account (R14)."""
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
    if match.tier == "verified" or codes & _DIRECTORY:
        return False
    return "bio_links_x" in codes or bool(codes & HANDLE_CODES)


def weigh_claims(group: Sequence[Match]) -> list[Match]:
    """R14 on the Bluesky matches of one X account."""
    if any(m.tier == "verified" for m in group):
        return list(group)  # R9 keeps only the verified ones
    claimers = [m for m in group if _claims(m)]
    if len(claimers) < 2:
        return list(group)
    weighed = {id(m) for m in claimers}
    out: list[Match] = []
    for match in group:
        if id(match) not in weighed:
            out.append(match)
            continue
        rivals = [m for m in claimers if m is not match]
        tier: Tier = match.tier
        stronger = any(strength(r) > strength(match) for r in rivals)
        if stronger or (any(links(r) for r in rivals) and not corroborated(match)):
            tier = "possible"
        note = Reason.of("competing_claim", name=match.x_username or "", count=len(rivals))
        out.append(replace(match, tier=tier, reasons=_before_graph(match.reasons, note)))
    return out


def _before_graph(reasons: tuple[Reason, ...], note: Reason) -> tuple[Reason, ...]:
    """`note` before the graph's reasons, which then say why this one stands out or not:
    "another account also claims @name" · "followed by 12 people you know"."""
    at = next((i for i, r in enumerate(reasons) if r.code.startswith("graph_")), len(reasons))
    return (*reasons[:at], note, *reasons[at:])
