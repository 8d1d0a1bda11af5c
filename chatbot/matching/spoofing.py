"""Anti-spoofing: when a directory link may be trusted for automatic follows. Pure functions.

Anyone can forge an `account.js` and claim someone else's X id. A directory link is
"verified" only when both sides are proved and the archives of other users agree:

* the new account: its owner logged in through the bot, or put a code the bot gave in
  its bio or a post (``new_account_proof`` = ``login`` | ``bio_code``);
* the X account: a code posted from it, checked through X's oEmbed endpoint, whose
  author screen name other users' archives associate with the X id (``x_proof`` =
  ``oembed``), or an organisation admin vouched for it (``org_vouch``);
* agreement: the archives of other users do not contradict the X id <-> screen name
  pair (mentions carry both), and, for the oEmbed proof, corroborate it.

Anything else is "claimed": shown with that word, tier at most "possible".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from chatbot.matching.model import DirectoryEntry, Observations, Reason, Tier

# Distinct users whose archives must associate the screen name with the X id before an
# oEmbed proof counts: one of them could be the claimant's own (forged) archive.
MIN_OBSERVERS = 2

Agreement = Literal["corroborated", "unknown", "contradicted"]


@dataclass(frozen=True)
class Verdict:
    """What the directory link is worth: its tier cap and the reasons shown."""

    verified: bool
    tier: Tier
    reasons: tuple[Reason, ...]
    agreement: Agreement


def _lower_counts(counts: Mapping[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, n in counts.items():
        out[name.lower()] = out.get(name.lower(), 0) + n
    return out


def archive_agreement(
    x_id: int,
    screen_name: str | None,
    observations: Observations,
    *,
    min_observers: int = MIN_OBSERVERS,
) -> Agreement:
    """Do other users' archives agree that `x_id` is (or was) `screen_name`?

    Contradicted when the archives tie the name to another X id more often than to this
    one (an impostor claiming someone else's id under their own name). Corroborated when
    at least `min_observers` distinct users saw the pair and it is not a minority name
    (at least half as often seen as the id's most seen name). A name the archives have
    not seen yet for the id is "unknown", not a contradiction: accounts get renamed.
    """
    if not screen_name:
        return "unknown"
    name = screen_name.lower()
    holders = observations.ids(name)
    if any(other != x_id and n > holders.get(x_id, 0) for other, n in holders.items()):
        return "contradicted"
    seen = _lower_counts(observations.names(x_id))
    count = seen.get(name, 0)
    if count >= min_observers and count * 2 >= max(seen.values(), default=0):
        return "corroborated"
    return "unknown"


def new_side_proved(entry: DirectoryEntry) -> bool:
    return entry.new_account_proof in ("login", "bio_code")


def x_side_proved(entry: DirectoryEntry, agreement: Agreement) -> bool:
    if entry.x_proof == "oembed":
        return agreement == "corroborated"
    if entry.x_proof == "org_vouch":
        return agreement != "contradicted" and entry.provenance == "org_roster"
    return False


def judge_entry(
    entry: DirectoryEntry, observations: Observations, *, min_observers: int = MIN_OBSERVERS
) -> Verdict:
    """The verdict on one directory link (consent is checked by the caller)."""
    agreement = archive_agreement(
        entry.x_id, entry.x_username, observations, min_observers=min_observers
    )
    new_ok = new_side_proved(entry)
    x_ok = x_side_proved(entry, agreement)
    reasons: list[Reason] = []
    if new_ok and x_ok and agreement != "contradicted":
        reasons.append(Reason.of("directory_verified"))
        reasons.append(Reason.of(f"new_proof_{entry.new_account_proof}"))
        reasons.append(Reason.of(f"x_proof_{entry.x_proof}"))
        if agreement == "corroborated":
            count = observations.names(entry.x_id)
            users = _lower_counts(count).get((entry.x_username or "").lower(), 0)
            reasons.append(Reason.of("archives_agree", users=users))
        return Verdict(True, "verified", tuple(reasons), agreement)
    reasons.append(Reason.of("directory_claimed", source=entry.provenance))
    if not new_ok:
        reasons.append(Reason.of("new_side_unproved"))
    if entry.x_proof == "none":
        reasons.append(Reason.of("x_side_unproved"))
    if agreement == "contradicted":
        reasons.append(Reason.of("archives_disagree", name=entry.x_username or "?"))
    elif entry.x_proof == "oembed" and agreement != "corroborated":
        reasons.append(Reason.of("archives_unconfirmed"))
    return Verdict(False, "possible", tuple(reasons), agreement)
