"""Anti-spoofing: what a directory link is worth, and when it may be trusted. Pure functions.

An archive proves what its owner posted and whom they followed, never who owns the X id in
its `account.js` (anyone can forge one). So a directory row is only a claim until both of
its sides are proved, each by evidence recorded for that very row:

* the new account: its owner logged in through the bot, or put a code the bot gave them in
  its bio (``new_account_proof`` = ``login`` | ``bio_code``);
* the X account: a code posted from it (X's oEmbed endpoint names the author), whose screen
  name the archives tie to the X id (``x_proof`` = ``oembed``); or the vouch of an
  organisation that the bot's administrators approved (``org_vouch``, `vouched_by` set).

Tiers:

* verified (eligible for automatic follow): the new side proved by the row's owner, and the
  X side proved by oEmbed with the archives agreeing, or vouched for by an approved
  organisation (its vouch for the same X id and account);
* likely (followed only when the user confirms): an approved organisation's vouch alone;
* possible, shown as "claimed": anything else, an unapproved organisation's vouch included.

Agreement of the archives: the viewer's own archive (their own data: it can only fool
them), or at least `MIN_OBSERVERS` other users whose archives count (see `Observations`:
never an archive for the id it claims itself, never a chat account younger than
`OBSERVER_MIN_AGE`). A name the archives tie to another X id more often is "contradicted".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from chatbot.matching.model import DirectoryEntry, Observations, Reason, Tier

# Distinct users whose archives must associate the screen name with the X id before an
# oEmbed proof counts (the viewer's own archive is enough for the viewer).
MIN_OBSERVERS = 2
# A chat account's archive corroborates nothing before this age: k forged archives from k
# throwaway accounts must not raise anyone's match (threat model §4.2 D5).
OBSERVER_MIN_AGE = dt.timedelta(days=7)

Agreement = Literal["corroborated", "unknown", "contradicted"]
# the reason that says where an unproved claim comes from
_SOURCES = {"user_link": "source_user_link", "org_roster": "source_org_roster",
            "csv_import": "source_csv_import"}  # fmt: skip


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


def _own_confirms(screen_name: str, own: Mapping[str, int] | None) -> bool:
    return bool(own) and screen_name.lower() in {n.lower() for n in own or ()}


def archive_agreement(
    x_id: int,
    screen_name: str | None,
    observations: Observations,
    *,
    own: Mapping[str, int] | None = None,
    min_observers: int = MIN_OBSERVERS,
) -> Agreement:
    """Do the archives agree that `x_id` is (or was) `screen_name`?

    Contradicted when the archives tie the name to another X id more often than to this one
    (an impostor claiming someone else's id under their own name). Corroborated when `own`
    (the screen names the viewer's own archive gives `x_id`) has it, or when at least
    `min_observers` distinct users saw the pair and it is not a minority name (at least
    half as often seen as the id's most seen name). A name not seen yet for the id is
    "unknown", not a contradiction: accounts get renamed.
    """
    if not screen_name:
        return "unknown"
    name = screen_name.lower()
    holders = observations.ids(name)
    if any(other != x_id and n > holders.get(x_id, 0) for other, n in holders.items()):
        return "contradicted"
    if _own_confirms(name, own):
        return "corroborated"
    seen = _lower_counts(observations.names(x_id))
    count = seen.get(name, 0)
    if count >= min_observers and count * 2 >= max(seen.values(), default=0):
        return "corroborated"
    return "unknown"


def new_side_proved(entry: DirectoryEntry) -> bool:
    return entry.new_account_proof in ("login", "bio_code")


def approved_vouch(entry: DirectoryEntry) -> bool:
    """An admin's roster row of an organisation the bot's administrators approved."""
    return (
        entry.x_proof == "org_vouch"
        and entry.provenance == "org_roster"
        and entry.vouched_by is not None
    )


def judge_entries(
    entries: Sequence[DirectoryEntry],
    observations: Observations,
    *,
    own: Mapping[str, int] | None = None,
    min_observers: int = MIN_OBSERVERS,
) -> list[Verdict]:
    """The verdicts on the directory rows of one X id, in their order.

    An approved organisation's vouch for (network, account) also proves the X side of a row
    whose owner proved that same account: the vouch and the owner's proof are each kept on
    their own row, and only read together here.
    """
    vouches: dict[tuple[str, str], str] = {}
    for entry in entries:
        if approved_vouch(entry) and entry.vouched_by is not None:
            agreement = archive_agreement(
                entry.x_id, entry.x_username, observations, own=own, min_observers=min_observers
            )
            if agreement != "contradicted":
                vouches.setdefault((entry.network, entry.target), entry.vouched_by)
    return [
        judge_entry(
            entry,
            observations,
            own=own,
            vouch=vouches.get((entry.network, entry.target)),
            min_observers=min_observers,
        )
        for entry in entries
    ]


def judge_entry(
    entry: DirectoryEntry,
    observations: Observations,
    *,
    own: Mapping[str, int] | None = None,
    vouch: str | None = None,
    min_observers: int = MIN_OBSERVERS,
) -> Verdict:
    """The verdict on one directory row (consent is checked by the caller). `vouch` names
    the approved organisation that vouches for this row's X id and account, if any."""
    agreement = archive_agreement(
        entry.x_id, entry.x_username, observations, own=own, min_observers=min_observers
    )
    new_ok = new_side_proved(entry)
    reasons: tuple[Reason, ...]
    if agreement != "contradicted":
        if new_ok and entry.x_proof == "oembed" and agreement == "corroborated":
            name = entry.x_username or ""
            if _own_confirms(name, own):
                agree = Reason.of("own_archive_agrees", name=name)
            else:
                count = _lower_counts(observations.names(entry.x_id)).get(name.lower(), 0)
                agree = Reason.of("archives_agree", count=count)
            reasons = (
                Reason.of("directory_verified"),
                Reason.of(f"new_proof_{entry.new_account_proof}"),
                Reason.of("x_proof_oembed"),
                agree,
            )
            return Verdict(True, "verified", reasons, agreement)
        if new_ok and vouch is not None:
            reasons = (
                Reason.of("directory_verified"),
                Reason.of(f"new_proof_{entry.new_account_proof}"),
                Reason.of("x_proof_org_vouch", org=vouch),
            )
            return Verdict(True, "verified", reasons, agreement)
        if approved_vouch(entry) and entry.vouched_by is not None:
            reasons = (
                Reason.of("directory_vouched", org=entry.vouched_by),
                Reason.of("new_side_unproved"),
            )
            return Verdict(False, "likely", reasons, agreement)
    return Verdict(False, "possible", _claim_reasons(entry, agreement, new_ok), agreement)


def _claim_reasons(
    entry: DirectoryEntry, agreement: Agreement, new_ok: bool
) -> tuple[Reason, ...]:
    """A claim, not proved: where it comes from, what holds and what is missing."""
    source = entry.provenance
    if source == "org_roster" and entry.x_proof != "org_vouch":
        source = "user_link"  # a listed member's own accounts: their own claim
    reasons = [Reason.of("directory_claimed"), Reason.of(_SOURCES[source])]
    if new_ok:
        reasons.append(Reason.of(f"new_proof_{entry.new_account_proof}"))
    else:
        reasons.append(Reason.of("new_side_unproved"))
    if agreement == "contradicted":  # only a claimed name can be contradicted
        reasons.append(Reason.of("archives_disagree", name=entry.x_username or ""))
    elif entry.x_proof == "oembed":
        proved = agreement == "corroborated"
        reasons.append(Reason.of("x_proof_oembed" if proved else "archives_unconfirmed"))
    else:
        reasons.append(Reason.of("x_side_unproved"))
    return tuple(reasons)
