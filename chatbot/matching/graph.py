"""The social graph as evidence: who follows a candidate in the user's circle.

An impostor can copy a handle, a display name and a bio link, but not who follows them.
For each Bluesky candidate below verified, `support` counts the followers it has in the
user's circle:

- the accounts the user knows (`known_accounts`): the DIDs of this user's other Bluesky
  matches at verified tier, or at likely tier when no other account competes for that X
  id, plus, when the user connected Bluesky, the accounts they follow; of these, only the
  ones the anchors reach count (below);
- the accounts the anchors follow (`graph_collect.Collector.widen`): an anchor (a verified
  row, an account the user follows) is an account no impostor controls, so whom it
  follows is the user's circle too, two steps away; and the accounts that at least two
  rows the graph lifted follow (`graph_collect.QUORUM`).

Only followers count, not the accounts the candidate follows: following is free, and an
impostor follows the victim's whole circle in a minute (the benchmark world does); being
followed back is what it cannot obtain. (`Match.support` documents the wider definition
shared with the evidence rules; this module fills it with the followers alone.)

The rule (`apply_support`), per X id, among its Bluesky rows below verified:
G1  support > 0 -> the reason ``graph_support`` (``followed by {count} accounts in your
    circle``).
G2  A row whose support is less than half a rival's (0 against 1 or more, 2 against 5)
    is at most "possible" (reason ``graph_rival``): it is not the one the user's circle
    follows.
G3  A "possible" row with support >= `LIFT` (2) whose every rival is known and has less
    than half its support -> "likely". Never a row whose X name other X accounts used
    (R7) or whose directory claim archives contradict. bench/README.md: with the evidence
    rules merged (fan and parody bios read as evidence against), 2 gives more right rows
    followed unasked AND more recall than 3 on every seed; without them, fan accounts that
    fans in the circle follow get through (98.3-100 % instead of 96.7-100 %).
G4  A "likely" row that rests only on what anyone can copy (the X name as handle and a
    bio link to it: R2), followed by fewer than `G4_MIN_SUPPORT` (2) accounts of the
    user's circle (an exact count), when the circle holds at least `G4_MIN_KNOWN` (30)
    accounts -> "possible" (reason ``graph_few``). Impostors and squatters have no rival
    to lose against: the graph is the only thing that tells them apart (bench/README.md:
    without G4 one row in four to six that /follow would take unasked is a copy; with 1
    instead of 2, an impostor that a known account followed by chance still passes).

Support is recounted in up to `graph_collect.ROUNDS` rounds: the rows a round lifts become
known, those it drops stop being known, and the circle is drawn again (what was read is
kept: later rounds cost few requests). Only the known accounts that the anchors reach
count (`graph_collect`): verified rows and the user's own follows are what no impostor can
forge, and a known account counts once a counted account follows it or an anchor does. A
ring of impostors who copy several of the user's contacts (each an uncontested likely row,
so known) and follow each other then counts for nothing; one impostor that fooled two
accounts of the circle into following it is lifted (the bound of this rule), but alone it
adds nobody to the circle, so it cannot bring its ring with it
(tests/matching/test_graph_circle.py). Known limit: a user with neither a verified match
nor a connected Bluesky account has no anchor and no circle, and every known account
counts.

The reads (`chatbot.matching.graph_collect`) are bounded; this module is pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import replace

from chatbot.matching.model import Match, Reason

LIFT = 2  # G3: supporters needed to lift a "possible" row to "likely"
MAX_KNOWN = 2000  # known accounts compared against
MAX_CANDIDATES = 400  # candidates looked at per run
G4_MIN_KNOWN = 30  # G4 applies when the user knows at least this many accounts
G4_MIN_SUPPORT = 2  # G4: fewer known followers than this is "uncorroborated"
_NO_LIFT = frozenset({"name_reused", "archives_disagree"})


def _groups(rows: Iterable[Match]) -> dict[int, list[Match]]:
    groups: dict[int, list[Match]] = {}
    for row in rows:
        if row.network == "bluesky" and row.did:
            groups.setdefault(row.x_id, []).append(row)
    return groups


def known_accounts(rows: Sequence[Match], viewer_follows: Iterable[str] = ()) -> list[str]:
    """The DIDs the user knows: verified rows, likely rows without a rival, their follows
    (the rows first: within `MAX_KNOWN`, a user who follows thousands keeps their matches)."""
    out: dict[str, None] = {}
    for group in _groups(rows).values():
        dids = {m.did for m in group}
        for row in group:
            if row.tier == "verified" or (row.tier == "likely" and len(dids) == 1):
                out[row.did or ""] = None
    out.update(dict.fromkeys(viewer_follows))
    out.pop("", None)
    return list(out)[:MAX_KNOWN]


def anchors(rows: Sequence[Match], viewer_follows: Sequence[str] = ()) -> list[str]:
    """What no impostor can forge: verified rows and the user's own follows; the user's
    contacts first (verified rows, then the follows that are rows), then the other follows."""
    rows = [m for m in rows if m.network == "bluesky" and m.did]
    verified = [m.did or "" for m in rows if m.tier == "verified"]
    contacts = {m.did for m in rows}
    follows = list(viewer_follows)
    ordered = verified + [d for d in follows if d in contacts] + follows
    return list(dict.fromkeys(ordered))


def candidates(rows: Sequence[Match]) -> list[tuple[str, bool]]:
    """(DID, contested) of the rows worth a look, the most useful first: contested X ids
    (several accounts), then likely rows, then possible ones. Never in a group already
    settled by a verified row."""
    ranked: dict[str, tuple[int, bool]] = {}
    for group in _groups(rows).values():
        if any(m.tier == "verified" for m in group):
            continue
        contested = len({m.did for m in group}) > 1
        for row in group:
            rank = 0 if contested else 1 if row.tier == "likely" else 2
            did = row.did or ""
            old = ranked.get(did)
            if old is None or rank < old[0]:
                ranked[did] = (rank, contested or bool(old and old[1]))
    order = sorted(ranked.items(), key=lambda kv: kv[1][0])
    return [(did, contested) for did, (_, contested) in order][:MAX_CANDIDATES]


def apply_support(
    rows: Iterable[Match],
    support: dict[str, int],
    *,
    known: int = 0,
    exact: Set[str] = frozenset(),
) -> list[Match]:
    """G1-G4: fill `support`, add the reasons, lift and drop tiers. Pure.

    `known`: how many accounts the user knows (G4 needs `G4_MIN_KNOWN`); `exact`: the DIDs
    whose support is an exact count, not a lower bound (G4 needs it)."""
    out: list[Match] = []
    filled: list[Match] = []
    for row in rows:
        if row.network == "bluesky" and row.did in support:
            count = support[row.did]
            reasons = row.reasons
            if count > 0:
                reasons = (*reasons, Reason.of("graph_support", count=count))
            filled.append(replace(row, support=count, reasons=reasons))
        else:
            out.append(row)
    by_x: dict[int, list[Match]] = {}
    for row in filled:
        by_x.setdefault(row.x_id, []).append(row)
    others = _groups(out)
    for x_id, group in by_x.items():
        rivals_all = group + others.get(x_id, [])
        if any(m.tier == "verified" for m in rivals_all):
            out.extend(group)
            continue
        for row in group:
            rivals = [m for m in rivals_all if m.did != row.did]
            judged = _judge(row, rivals)
            if judged is row and known >= G4_MIN_KNOWN and row.did in exact:
                judged = _uncorroborated(row, known)
            out.append(judged)
    return out


def _uncorroborated(row: Match, known: int) -> Match:
    """G4: a likely row that rests on what anyone can copy (the X name as handle and a bio
    link), followed by at most one of the many accounts the user knows."""
    codes = set(row.reason_codes())
    copyable = "bio_links_x" in codes and any(c.startswith("handle_") for c in codes)
    if row.tier != "likely" or (row.support or 0) >= G4_MIN_SUPPORT or not copyable:
        return row
    note = Reason.of("graph_few", count=known)
    return replace(row, tier="possible", reasons=(*row.reasons, note))


def _judge(row: Match, rivals: list[Match]) -> Match:
    count = row.support or 0
    codes = set(row.reason_codes())
    top = max((m.support or 0 for m in rivals), default=0)
    if 2 * count < top:  # G2
        note = Reason.of("graph_rival", count=top)
        return replace(row, tier="possible", reasons=(*row.reasons, note))
    unknown = any(m.support is None for m in rivals)
    lift = row.tier == "possible" and count >= LIFT and 2 * top < count  # G3
    if lift and not unknown and not codes & _NO_LIFT:
        return replace(row, tier="likely")
    return row
