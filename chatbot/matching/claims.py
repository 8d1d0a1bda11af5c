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

And R15 (`one_person`), across X accounts: one account belongs to one person. When rows of
several X accounts of the archive point at the same account (``@ann_lee`` and ``@annlee``
both guess ``annlee.bsky.social``), the strongest claim keeps its tier: verified, then a
bio link naming that X account, then that X name itself as the handle (not a variant of
it). The others are at most possible (``other_contact_claims``, naming whose it more
likely is); with no clear winner, none stays above possible. Verified rows keep their
tier: they carry their own proofs.

``support is None`` (the graph was not looked at: offline, nothing to compare with) counts
as no corroboration. Directory rows (verified, vouched) are not weighed here: they carry
their own proofs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from chatbot.matching.model import TIER_RANK, Match, Reason, Tier

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
    "another account also claims @name" · "followed by 12 accounts in your circle"."""
    at = next((i for i, r in enumerate(reasons) if r.code.startswith("graph_")), len(reasons))
    return (*reasons[:at], note, *reasons[at:])


def _exact_name(match: Match) -> bool:
    """The handle's first label (or the acct's user part) is the X name itself."""
    handle = (match.handle or "").lower()
    local = handle.split("@", 1)[0] if "@" in handle else handle.split(".", 1)[0]
    return bool(match.x_username) and local == (match.x_username or "").lower()


def _claim(match: Match) -> tuple[bool, bool, bool, int]:
    verified = match.tier == "verified"
    return verified, links(match), _exact_name(match), TIER_RANK[match.tier]


def one_person(matches: Iterable[Match]) -> list[Match]:
    """R15: of the X accounts whose rows point at one account, only the strongest claim
    keeps a tier above possible (see the module)."""
    rows = list(matches)
    by_target: dict[tuple[str, str], list[int]] = {}
    for i, match in enumerate(rows):
        by_target.setdefault((match.network, match.target), []).append(i)
    for found in by_target.values():
        if len({rows[i].x_id for i in found}) < 2:
            continue
        best = max(_claim(rows[i]) for i in found)
        winners = {rows[i].x_id for i in found if _claim(rows[i]) == best}
        for i in found:
            match = rows[i]
            if match.tier in ("verified", "possible") or winners == {match.x_id}:
                continue
            other = next(rows[j] for j in found if rows[j].x_id != match.x_id)
            if len(winners) == 1:
                other = next(rows[j] for j in found if rows[j].x_id in winners)
            note = Reason.of("other_contact_claims", name=other.x_username or "")
            rows[i] = replace(match, tier="possible", reasons=(*match.reasons, note))
    return rows
