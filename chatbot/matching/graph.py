"""The social graph as evidence: who follows a candidate among the accounts the user knows.

An impostor can copy a handle, a display name and a bio link, but not who follows them.
For each Bluesky candidate below verified, `support` counts the accounts the user knows
that follow it. "The accounts the user knows" (`known_accounts`) are the DIDs of this
user's other Bluesky matches at verified tier, or at likely tier when no other account
competes for that X id, plus, when the user connected Bluesky, the accounts they follow.

Only followers count, not the accounts the candidate follows: following is free, and an
impostor follows the victim's whole circle in a minute (the benchmark world does); being
followed back is what it cannot obtain. (`Match.support` documents the wider definition
shared with the evidence rules; this module fills it with the followers alone.)

The rule (`apply_support`), per X id, among its Bluesky rows below verified:
G1  support > 0 -> the reason ``graph_support`` (``followed by {count} people you know``).
G2  A row whose support is less than half a rival's (0 against 1 or more, 2 against 5)
    is at most "possible" (reason ``graph_rival``): it is not the one the user's circle
    follows.
G3  A "possible" row with support >= `LIFT` (3, see bench/README.md: the lowest threshold
    at which the lifted rows of the benchmark world stay above 99 % right) whose every
    rival is known and has less than half its support -> "likely". Never a row whose
    X name other X accounts used (R7) or whose directory claim archives contradict.
G4  A "likely" row that rests only on what anyone can copy (the X name as handle and a
    bio link to it: R2), followed by fewer than `G4_MIN_SUPPORT` (2) of the accounts the
    user knows (an exact count), when the user knows at least `G4_MIN_KNOWN` (30)
    accounts -> "possible" (reason ``graph_few``). Impostors and squatters have no rival
    to lose against: the graph is the only thing that tells them apart (bench/README.md:
    without G4 about one row in four that /follow would take unasked is a copy; with 1
    instead of 2, one impostor that a known account followed by chance still passes).

Known accounts are recounted in up to `ROUNDS` rounds: the rows a round lifts become
known, those it drops stop being known (what was read is kept: later rounds cost few
requests). Only the known accounts that the anchors reach count (`Collector.anchor`):
verified rows and the user's own follows are what no impostor can forge, and a known
account counts once a counted account follows it. A ring of impostors who copy several
of the user's contacts (each an uncontested likely row, so known) and follow each other
then counts for nothing. Known limit: a user with neither a verified match nor a
connected Bluesky account has no anchor, and every known account counts.

The collector (`collect_support`) is bounded: at most `MAX_CANDIDATES` candidates and
`MAX_REQUESTS` requests per run (and the user's lookup budget, charged by the reader);
per candidate, one page of followers (exact for small accounts: impostors, most people),
then ``getRelationships`` against the known accounts (30 per request) when they are few,
else a few more pages; it stops as soon as the answer is clear (the count reaches what
the rule needs). Graph reads are evidence on top: when they fail or run out, the rows
keep the tiers they had.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field, replace

from chatbot.matching.model import Match, Reason
from chatbot.networks.lookup_budget import LookupCapped
from chatbot.networks.types import BlueskyGraphReader, NetworkUnavailable

log = logging.getLogger(__name__)

LIFT = 3  # G3: supporters needed to lift a "possible" row to "likely"
MAX_KNOWN = 2000  # known accounts compared against
MAX_CANDIDATES = 400  # candidates looked at per run
MAX_REQUESTS = 600  # graph requests per run (the lookup budget may cut sooner)
FOLLOWER_PAGES = 3  # pages of followers (100 each) read per candidate at most
RELATIONSHIP_CALLS = 4  # getRelationships requests per candidate (30 known accounts each)
VIEWER_PAGES = 20  # pages of the user's own follows (2,000 accounts)
G4_MIN_KNOWN = 30  # G4 applies when the user knows at least this many accounts
G4_MIN_SUPPORT = 2  # G4: fewer known followers than this is "uncorroborated"
ROUNDS = 3  # rounds of counting: the accounts lifted by one round are known in the next
_NO_LIFT = frozenset({"name_reused", "archives_disagree"})


def _groups(rows: Iterable[Match]) -> dict[int, list[Match]]:
    groups: dict[int, list[Match]] = {}
    for row in rows:
        if row.network == "bluesky" and row.did:
            groups.setdefault(row.x_id, []).append(row)
    return groups


def known_accounts(rows: Sequence[Match], viewer_follows: Iterable[str] = ()) -> list[str]:
    """The DIDs the user knows: verified rows, likely rows without a rival, their follows."""
    out: dict[str, None] = dict.fromkeys(viewer_follows)
    for group in _groups(rows).values():
        dids = {m.did for m in group}
        for row in group:
            if row.tier == "verified" or (row.tier == "likely" and len(dids) == 1):
                out[row.did or ""] = None
    out.pop("", None)
    return list(out)[:MAX_KNOWN]


def anchors(rows: Sequence[Match], viewer_follows: Iterable[str] = ()) -> set[str]:
    """What no impostor can forge: verified rows and the user's own follows."""
    out = set(viewer_follows)
    out.update(m.did for m in rows if m.network == "bluesky" and m.tier == "verified" and m.did)
    return out


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


@dataclass
class Collector:
    """Counts, for each candidate, the known accounts that follow it, within bounds.

    What it read is kept for the run (the followers seen, complete or not, and the
    relationships checked), so a later round with more known accounts costs requests only
    for what it has not seen yet."""

    reader: BlueskyGraphReader
    known: frozenset[str]
    max_requests: int = MAX_REQUESTS
    requests: int = 0
    stopped: bool = False
    support: dict[str, int] = field(default_factory=dict)
    seen: dict[str, tuple[set[str], str | None, int]] = field(default_factory=dict)
    related: dict[str, dict[str, bool]] = field(default_factory=dict)  # did -> other -> follows
    exact: set[str] = field(default_factory=set)  # candidates whose count is not a lower bound
    circle: int = 0  # how many accounts the user knows, before any rule (G4's condition)
    trusted: frozenset[str] = frozenset()  # the known accounts the anchors reach

    def _spend(self) -> bool:
        if self.stopped or self.requests >= self.max_requests:
            return False
        self.requests += 1
        return True

    async def count(self, did: str, enough: int) -> int | None:
        """Known followers of `did`; exact (then in `exact`), or at least `enough`; None
        when not read."""
        known = self.known - {did}
        if not known:
            return None
        if did not in self.seen:
            if not self._spend():
                return None
            page = await self.reader.get_followers(did)
            self.seen[did] = (set(page.dids), page.cursor, 1)
        followers, cursor, pages = self.seen[did]
        related = self.related.setdefault(did, {})

        def tally() -> int:
            return sum(1 for o in known if o in followers or related.get(o))

        found = tally()
        if cursor is None or found >= enough:
            return self._done(did, found, cursor is None)
        rest = sorted(o for o in known - followers if o not in related)
        if -(-len(rest) // 30) <= RELATIONSHIP_CALLS:
            for start in range(0, len(rest), 30):
                if found >= enough or not self._spend():
                    break
                chunk = rest[start : start + 30]
                answer = await self.reader.get_relationships(did, chunk)
                for other in chunk:
                    related[other] = bool(answer.get(other) and answer[other].followed_by)
                found = tally()
            return self._done(did, found, all(o in followers or o in related for o in known))
        while cursor is not None and pages < FOLLOWER_PAGES and found < enough:
            if not self._spend():
                break
            page = await self.reader.get_followers(did, cursor)
            followers.update(page.dids)
            cursor, pages = page.cursor, pages + 1
            self.seen[did] = (followers, cursor, pages)
            found = tally()
        return self._done(did, found, cursor is None)

    def supporters(self, did: str) -> set[str]:
        """The known accounts read as following `did` (its followers seen, or related)."""
        followers = self.seen.get(did, (set(), None, 0))[0]
        related = self.related.get(did, {})
        return {k for k in self.known - {did} if k in followers or related.get(k)}

    def anchor(self, anchors: Set[str]) -> None:
        """Count only the known accounts that the anchors reach (Sybil rings).

        The anchors (verified rows, the user's own follows) are trusted; a known account
        is trusted once a trusted account follows it, and so on. A ring of impostors that
        follow each other, followed by no trusted account, no longer counts. Without any
        anchor every known account counts (the module's known limit)."""
        trusted = set(anchors) & self.known
        if not trusted:
            return
        backers = {k: self.supporters(k) for k in self.known - trusted}
        supports: dict[str, list[str]] = {}
        for k, ks in backers.items():
            for b in ks:
                supports.setdefault(b, []).append(k)
        queue = list(trusted)
        while queue:
            for k in supports.get(queue.pop(), ()):
                if k not in trusted:
                    trusted.add(k)
                    queue.append(k)
        self.trusted = frozenset(trusted)
        for did in self.support:
            self.support[did] = len(self.supporters(did) & trusted)

    def _done(self, did: str, found: int, exact: bool) -> int:
        if exact:
            self.exact.add(did)
        else:
            self.exact.discard(did)
        return found

    async def run(self, wanted: Sequence[tuple[str, bool]], concurrency: int = 8) -> None:
        gate = asyncio.Semaphore(max(1, concurrency))

        async def one(did: str, contested: bool) -> None:
            async with gate:
                if self.stopped:
                    return
                try:
                    # a contest needs relative counts: read further than the lift needs
                    result = await self.count(did, 3 * LIFT if contested else LIFT)
                except (LookupCapped, NetworkUnavailable) as exc:
                    self.stopped = True  # evidence on top: keep what was read
                    log.info("graph reads stopped: %s", exc)
                    return
                if result is not None:
                    self.support[did] = result

        await asyncio.gather(*(one(did, contested) for did, contested in wanted))


async def viewer_follows(reader: BlueskyGraphReader, viewer: str) -> list[str]:
    """The accounts the user's own Bluesky account follows (bounded)."""
    out: list[str] = []
    cursor: str | None = None
    try:
        for _ in range(VIEWER_PAGES):
            page = await reader.get_follows(viewer, cursor)
            out.extend(page.dids)
            cursor = page.cursor
            if cursor is None:
                break
    except (LookupCapped, NetworkUnavailable) as exc:
        log.info("the user's follows were not read: %s", exc)
    return out


async def collect_support(
    rows: Sequence[Match],
    reader: BlueskyGraphReader,
    *,
    viewer: str | None = None,
    concurrency: int = 8,
) -> Collector:
    """Read the graph support of the candidates among `rows` (bounded, see the module)."""
    follows = await viewer_follows(reader, viewer) if viewer else []
    collector = Collector(reader, frozenset(known_accounts(rows, follows)))
    collector.circle = len(collector.known)
    wanted = candidates(rows)
    trusted = anchors(rows, follows)
    for _ in range(ROUNDS):
        if not collector.known:
            break
        collector.support = {}
        await collector.run(wanted, concurrency)
        collector.anchor(trusted)
        # count again with the rows this round lifted, and without those it dropped (what
        # was read is kept, so this costs requests only for unread followers)
        judged = apply_support(
            rows, collector.support, known=collector.circle, exact=collector.exact
        )
        changed = frozenset(known_accounts(judged, follows))
        if changed == collector.known or collector.stopped:
            break
        collector.known = changed
    return collector


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


async def graph_evidence(
    rows: list[Match], reader: object, *, viewer: str | None = None, concurrency: int = 8
) -> list[Match]:
    """The engine's one call: rows with their graph support and the tiers G1-G4 give.
    Without a graph reader (offline, or a reader without the graph) the rows are kept."""
    if not isinstance(reader, BlueskyGraphReader):
        return rows
    collector = await collect_support(rows, reader, viewer=viewer, concurrency=concurrency)
    if not collector.support:
        return rows
    return apply_support(rows, collector.support, known=collector.circle, exact=collector.exact)
