"""The scoring rules: evidence about a candidate account -> a tier and the reasons. Pure.

Rules (each has a unit test in tests/matching/test_scoring.py):

R1  A directory link proved on both sides -> verified; an approved organisation's vouch
    alone -> likely; any other directory link is "claimed" -> possible
    (`spoofing.judge_entries`).
R2  A Bluesky bio links or names the X account (twitter.com/<name>, x.com/<name>,
    "X: @name"), and its handle is ``<name>.bsky.social`` or a custom domain whose first
    label is the name -> likely.
R3  A bio cross-link alone -> possible: anyone can write "x.com/<name>" in a bio (the
    impostors of the benchmark world do), so without the handle it stays unconfirmed.
R4  The handle alone equals the X name (``<name>.bsky.social``, ``_`` -> ``-``, or a
    custom domain ``<name>.<tld>``) -> possible (anyone may own a name: Sky Follower
    Bridge's "handle prefix equal" false positives); nothing when only other users'
    archives know that name (too weak on its own: no match).
R5  A display name, a similar handle (Jaro-Winkler) or a search hit without one of the
    signals above -> no match at all.
R6  Labels "impersonation" or "spam" -> no match.
R7  An X name that archives tie to several X ids (renamed, then re-registered) caps the
    tier at possible; so does an X account known under several names (renamed: its old
    name may have been taken by someone else, and archives carry no dates to tell).
R8  A Mastodon acct named in a matched Bluesky profile, found by lookup: likely when the
    Bluesky match is verified, or likely and the Mastodon bio links back (to the X name
    or the Bluesky handle); possible otherwise. A moved account is replaced by its target.
R9  Several different accounts of one network at likely or better for one X id -> the
    ones below verified fall to possible ("several candidates"). A target that a
    contradicted directory claim points to (a likely impostor) is dropped when nothing
    else supports it, and at most possible otherwise.
R10 Offline guesses (a handle never checked on the network) are never matches: the
    command line lists them apart, as unchecked (`guess_offline`).
R11 A bio that names the X account with a negation (fan, parody, unofficial, mirror, not
    affiliated, "compte fan", "parodie", "non officiel", a bot or an archive relaying its
    posts: `bios`) is evidence against: no match, whatever the handle.
R12 Bluesky's own verification (a valid ``verification`` from a verifier the AppView
    trusts) with a bio cross-link or the handle -> likely; alone -> nothing (it says who
    the account is on Bluesky, not which X account it was).
R13 The social graph (`Match.support`, accounts the user knows around the account) lifts
    and drops tiers on its own in `chatbot.matching.graph`; here it ranks rivals (R14). A
    Mastodon account found through a Bluesky profile is no surer than that profile.
R14 Competing claims (several accounts claim one X account through their bio or handle,
    `claims.weigh_claims`): ranked by Bluesky verification, then a corroborated
    cross-link, then support, then a cross-link; a weaker one is at most possible, and so
    is an uncorroborated one facing a rival with a cross-link. Each says so ("another
    account also claims @name").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from chatbot.matching.bios import BioEvidence, read_bio
from chatbot.matching.claims import one_person, weigh_claims
from chatbot.matching.model import Match, Reason, Tier, worst_tier
from chatbot.matching.text import (
    handle_prefix,
    handle_variants,
    is_bridged,
    is_bsky_social,
    is_custom_domain,
    x_names_linked,
)
from chatbot.networks.types import BlueskyProfile, MastodonAccount

# what a directory claim says about itself (R9: nothing else supports its target)
_CLAIM_CODES = frozenset(
    {
        "directory_claimed",
        "source_user_link",
        "source_org_roster",
        "source_csv_import",
        "new_proof_login",
        "new_proof_bio_code",
        "x_proof_oembed",
        "new_side_unproved",
        "x_side_unproved",
        "archives_disagree",
        "archives_unconfirmed",
        "moved",
        "name_from_your_archive",
        "name_from_other_archives",
    }
)
# what makes a match weaker: dropped from a lower tier's row merged into a stronger one, so
# that a match's reasons agree with its tier (a verified match never says "claimed")
_WEAKER = frozenset(
    {
        "directory_claimed",
        "source_user_link",
        "source_org_roster",
        "source_csv_import",
        "new_side_unproved",
        "x_side_unproved",
        "archives_unconfirmed",
        "handle_only",
        "name_reused",
        "name_changed",
        "several_claim_x",
        "several_candidates",
        "handle_guess_unverified",
    }
)
EXCLUDING_LABELS = frozenset({"impersonation", "spam", "!hide", "!takedown"})


@dataclass(frozen=True)
class Identity:
    """What is known about one X account: its screen names and where they come from."""

    x_id: int
    own: Mapping[str, int] = field(default_factory=dict)  # the user's archive: name -> times
    observed: Mapping[str, int] = field(default_factory=dict)  # other archives: name -> users
    reused: frozenset[str] = frozenset()  # lower-cased names also tied to other X ids

    @property
    def names(self) -> list[str]:
        """Known screen names, lower-cased, the user's own first, most seen first."""
        out: list[str] = []
        for source in (self.own, self.observed):
            for name, _ in sorted(source.items(), key=lambda kv: -kv[1]):
                if name.lower() not in out:
                    out.append(name.lower())
        return out

    @property
    def best_name(self) -> str | None:
        for source in (self.own, self.observed):
            if source:
                return max(source.items(), key=lambda kv: kv[1])[0]
        return None

    def name_reason(self, name: str) -> Reason:
        if name in {n.lower() for n in self.own}:
            return Reason.of("name_from_your_archive", name=name)
        users = sum(n for k, n in self.observed.items() if k.lower() == name)
        return Reason.of("name_from_other_archives", name=name, count=users)


@dataclass(frozen=True)
class Scored:
    tier: Tier
    reasons: tuple[Reason, ...]


def excluded(profile: BlueskyProfile) -> bool:
    """R6: accounts labelled as impersonation or spam are never proposed."""
    return any(label in EXCLUDING_LABELS for label in profile.labels)


def handle_matches(handle: str, name: str) -> str | None:
    """R2/R4: ``bsky_social`` or ``custom_domain`` when the handle is the X name."""
    variants = handle_variants(name)
    if is_bsky_social(handle) and handle.lower()[: -len(".bsky.social")] in variants:
        return "bsky_social"
    if is_custom_domain(handle) and not is_bridged(handle) and handle_prefix(handle) in variants:
        return "custom_domain"
    return None


def bio_evidence(profile: BlueskyProfile) -> BioEvidence:
    """What the bio and the display name claim and disclaim (`bios.read_bio`)."""
    return read_bio(profile.description) | read_bio(profile.display_name)


def bio_claims(profile: BlueskyProfile, identity: Identity) -> list[str]:
    """The identity's names that the profile's bio or display name claims (not disclaims)."""
    evidence = bio_evidence(profile)
    return [n for n in identity.names if n in evidence.claims and n not in evidence.disclaims]


def disclaims(profile: BlueskyProfile, identity: Identity) -> bool:
    """R11: the bio names one of the identity's names with a negation (fan, parody...)."""
    return any(name in bio_evidence(profile).disclaims for name in identity.names)


def score_bluesky(
    identity: Identity, profile: BlueskyProfile, *, claimants: int = 1
) -> Scored | None:
    """R2-R7, R11, R12 for one Bluesky profile; `claimants` = profiles whose bio claims the
    X name."""
    if excluded(profile) or disclaims(profile, identity):
        return None
    claimed = bio_claims(profile, identity)
    handle_name, handle_kind = None, None
    for known in identity.names:
        kind = handle_matches(profile.handle, known)
        if kind:
            handle_name, handle_kind = known, kind
            break
    if not claimed and handle_name is None:
        return None  # R5
    reasons: list[Reason] = []
    name = claimed[0] if claimed else handle_name
    assert name is not None
    reasons.append(identity.name_reason(name))
    if claimed:
        reasons.append(Reason.of("bio_links_x", name=claimed[0]))
    if handle_kind is not None and handle_name is not None:
        reasons.append(Reason.of(f"handle_{handle_kind}", handle=profile.handle.lower()))
    if profile.verified:  # R12
        reasons.append(_bluesky_verified(profile))
    if is_bridged(profile.handle):
        reasons.append(Reason.of("bridged_account", handle=profile.handle.lower()))
    tier: Tier
    if claimed and (handle_name is not None or profile.verified):
        tier = "likely"  # R2, R12
    elif claimed:
        tier = "possible"  # R3
        if claimants > 1:
            reasons.append(Reason.of("several_claim_x", count=claimants))
    else:
        if handle_name not in {n.lower() for n in identity.own}:
            return None  # R4: a name only other archives know is too weak on its own
        tier = "likely" if profile.verified else "possible"  # R12, R4
        if not profile.verified:
            reasons.append(Reason.of("handle_only"))
    used = {name} | ({handle_name} if handle_name else set())
    if used & identity.reused:  # R7
        tier = worst_tier(tier, "possible")
        reasons.append(Reason.of("name_reused", name=sorted(used & identity.reused)[0]))
    elif len(identity.names) > 1 and tier == "likely":  # R7: renamed, the old name may be reused
        tier = "possible"
        others = [n for n in identity.names if n not in used]
        reasons.append(Reason.of("name_changed", name=others[0] if others else name))
    return Scored(tier, tuple(reasons))


def _bluesky_verified(profile: BlueskyProfile) -> Reason:
    if profile.verifier:
        return Reason.of("bluesky_verified_by", handle=profile.verifier)
    return Reason.of("bluesky_verified")


def links_back(account: MastodonAccount, identity: Identity, bluesky_handle: str) -> bool:
    """The Mastodon bio names the X account or the Bluesky handle."""
    note = (account.note or "").lower()
    if any(name in x_names_linked(account.note) for name in identity.names):
        return True
    return bool(bluesky_handle) and bluesky_handle.lower() in note


def score_mastodon(
    parent: Tier, account: MastodonAccount, identity: Identity, bluesky_handle: str
) -> Scored:
    """R8: a Mastodon account found through a matched Bluesky profile."""
    reasons = [Reason.of("mastodon_in_bluesky_bio", handle=bluesky_handle)]
    back = links_back(account, identity, bluesky_handle)
    if back:
        reasons.append(Reason.of("mastodon_links_back"))
    tier: Tier = "likely" if parent == "verified" or (parent == "likely" and back) else "possible"
    return Scored(tier, tuple(reasons))


def guess_offline(name: str, handle: str) -> Scored:
    """R10: a handle guessed from the X name, not checked."""
    return Scored("possible", (Reason.of("handle_guess_unverified", name=name, handle=handle),))


def resolve_conflicts(matches: Iterable[Match]) -> list[Match]:
    """R9 (and merging): one row per target; competing targets of one network are demoted."""
    merged: dict[tuple[int, str, str], Match] = {}
    for match in matches:
        key = (match.x_id, match.network, match.target)
        seen = merged.get(key)
        merged[key] = match if seen is None else _merge(seen, match)
    for link, match in list(merged.items()):
        codes = set(match.reason_codes())
        if "archives_disagree" not in codes:
            continue
        if codes <= _CLAIM_CODES:  # nothing but a contradicted claim: a likely impostor
            del merged[link]
        elif match.tier != "possible":
            merged[link] = replace(match, tier="possible")
    groups: dict[tuple[int, str], list[Match]] = {}
    for match in merged.values():
        groups.setdefault((match.x_id, match.network), []).append(match)
    out: list[Match] = []
    for (_, network), found in groups.items():
        group = weigh_claims(found) if network == "bluesky" else found  # R14
        if any(m.tier == "verified" for m in group):
            out.extend(m for m in group if m.tier == "verified")
            continue
        strong = [m for m in group if m.tier == "likely"]
        if len(strong) > 1:
            note = Reason.of("several_candidates", count=len(group))
            group = [replace(m, tier="possible", reasons=(*m.reasons, note)) for m in group]
        out.extend(group)
    return _follow_parents(one_person(out))  # R15


_THROUGH_BLUESKY = frozenset({"mastodon_in_bluesky_bio", "bridged_account"})


def _follow_parents(matches: list[Match]) -> list[Match]:
    """A Mastodon account found through a Bluesky profile is no surer than that profile
    once R13/R14 weighed it (an impostor's bio may name an account it also controls)."""
    parents = {(m.x_id, (m.handle or "").lower()): m.tier for m in matches
               if m.network == "bluesky"}  # fmt: skip
    out = []
    for match in matches:
        if match.network == "mastodon" and match.tier == "likely":
            via = [str(value) for r in match.reasons if r.code in _THROUGH_BLUESKY
                   for name, value in r.params if name == "handle"]  # fmt: skip
            tiers = [parents.get((match.x_id, h.lower())) for h in via]
            if tiers and all(t == "possible" for t in tiers):
                match = replace(match, tier="possible")
        out.append(match)
    return out


def _rank(tier: Tier) -> int:
    return {"verified": 3, "likely": 2, "possible": 1}[tier]


def _merge(seen: Match, match: Match) -> Match:
    """Two rows for one target: the stronger one, with the other's reasons that agree with
    its tier. Another row's contradicted claim stays visible below verified (R9 then caps
    the match at possible); a verified row keeps its tier whatever others claim."""
    best, other = (match, seen) if _rank(match.tier) > _rank(seen.tier) else (seen, match)
    extra = other.reasons
    if other.tier != best.tier:
        dropped = _WEAKER | ({"archives_disagree"} if best.tier == "verified" else set())
        extra = tuple(r for r in extra if r.code not in dropped)
    reasons = best.reasons + tuple(r for r in extra if r not in best.reasons)
    return replace(best, reasons=_verified_first(reasons, best.tier))


def _verified_first(reasons: tuple[Reason, ...], tier: Tier) -> tuple[Reason, ...]:
    if tier != "verified":
        return reasons
    return tuple(sorted(reasons, key=lambda r: r.code != "directory_verified"))
