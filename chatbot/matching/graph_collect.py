"""Reading the graph support of the candidates (`chatbot.matching.graph`), bounded.

The collector (`collect_support`) is bounded: at most `MAX_REQUESTS` requests per run (and
the user's lookup budget, charged by the reader). First the circle: one page of follows
for at most `CIRCLE_SOURCES` anchors (`Collector.widen`). Then, for at most
`graph.MAX_CANDIDATES` candidates, one page of followers (exact for small accounts:
impostors, most people), then ``getRelationships`` against the accounts counted (30 per
request) when they are few, else a few more pages; it stops as soon as the answer is
clear (the count reaches what the rule needs). Each later round reads only what it has
not seen: the follows of the rows the last round lifted, the followers of nobody new.
Graph reads are evidence on top: when they fail or run out, the rows keep the tiers they
had.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence, Set
from dataclasses import dataclass, field

from chatbot.matching.graph import (
    LIFT,
    anchors,
    apply_support,
    candidates,
    known_accounts,
)
from chatbot.matching.model import Match
from chatbot.networks.lookup_budget import LookupCapped
from chatbot.networks.types import BlueskyGraphReader, NetworkUnavailable

log = logging.getLogger(__name__)

ANCHORED = True  # count only what the anchors reach (off: the benchmark's comparison)
CIRCLE = True  # count the accounts the anchors follow (off: the benchmark's comparison)

MAX_REQUESTS = 800  # graph requests per run (the lookup budget may cut sooner)
FOLLOWER_PAGES = 3  # pages of followers (100 each) read per candidate at most
RELATIONSHIP_CALLS = 4  # getRelationships requests per candidate (30 known accounts each)
VIEWER_PAGES = 20  # pages of the user's own follows (2,000 accounts)
CIRCLE_SOURCES = 150  # anchors (and as many lifted rows) whose follows draw the circle
QUORUM = 2  # lifted rows that must follow an account for it to join the circle
ROUNDS = 3  # rounds of counting: the accounts lifted by one round are known in the next


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
    size: int = 0  # how many accounts the user knows, before any rule (G4's condition)
    trusted: frozenset[str] = frozenset()  # the known accounts the anchors reach
    circle: frozenset[str] = frozenset()  # the anchors and the accounts they follow
    follows: dict[str, frozenset[str]] = field(default_factory=dict)  # one page, read once
    _pool: tuple[tuple[int, int], frozenset[str]] = ((0, 0), frozenset())

    def pool(self) -> frozenset[str]:
        """The accounts whose follows are counted: the known ones and the circle."""
        key = (id(self.known), id(self.circle))
        if self._pool[0] != key:
            self._pool = (key, self.known | self.circle)
        return self._pool[1]

    def _spend(self) -> bool:
        if self.stopped or self.requests >= self.max_requests:
            return False
        self.requests += 1
        return True

    async def count(self, did: str, enough: int) -> int | None:
        """Known followers of `did`; exact (then in `exact`), or at least `enough`; None
        when not read."""
        known = self.pool() - {did}
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
            backed = {k for k, yes in related.items() if yes and k in known}
            return len((followers & known) | backed)

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
        pool = self.pool()
        found = (followers & pool) | {k for k, yes in related.items() if yes}
        found &= pool
        found.discard(did)
        return found

    def anchor(self, anchors: Set[str]) -> None:
        """Count only the known accounts that the anchors reach (Sybil rings).

        The anchors (verified rows, the user's own follows) are trusted, and so is a known
        account in the circle (an anchor follows it); a known account is trusted once a
        trusted known account follows it, and so on. A ring of impostors that follow each
        other, followed by no trusted account, no longer counts. What counts for a
        candidate: its trusted followers and its followers in the circle. Without any
        anchor every known account counts (the module's known limit)."""
        trusted = (set(anchors) | self.circle) & self.known
        if not trusted and not self.circle:
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
        counted = trusted | self.circle
        for did in self.support:
            self.support[did] = len(self.supporters(did) & counted)

    async def widen(
        self, anchors: Sequence[str], lifted: Sequence[str] = (), concurrency: int = 8
    ) -> None:
        """Draw the circle: the anchors, the accounts an anchor follows, and the accounts
        that at least `QUORUM` rows the graph lifted follow (one page of follows each,
        newest first, for at most `CIRCLE_SOURCES` anchors and as many lifted rows).

        Following is free, but an anchor is an account no impostor controls: what it
        follows is what the user's circle chose. A lifted row is not forgery-proof (its
        support is), so one alone adds nobody: an impostor that slipped through cannot
        bring its ring into the circle."""
        anchors, lifted = anchors[:CIRCLE_SOURCES], lifted[:CIRCLE_SOURCES]
        gate = asyncio.Semaphore(max(1, concurrency))

        async def one(did: str) -> None:
            async with gate:
                if did in self.follows or not self._spend():
                    return
                try:
                    page = await self.reader.get_follows(did)
                except (LookupCapped, NetworkUnavailable) as exc:
                    self.stopped = True
                    log.info("circle reads stopped: %s", exc)
                    return
                self.follows[did] = frozenset(page.dids)

        await asyncio.gather(*(one(did) for did in [*anchors, *lifted]))
        circle = set(anchors)
        for did in anchors:
            circle.update(self.follows.get(did, ()))
        votes = Counter(d for did in lifted for d in self.follows.get(did, ()))
        circle.update(d for d, n in votes.items() if n >= QUORUM)
        self.circle = frozenset(circle)

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
    wanted = candidates(rows)
    trusted = anchors(rows, follows)
    widen = ANCHORED and CIRCLE and bool(trusted)  # no anchor: no circle
    if widen:
        await collector.widen(trusted, concurrency=concurrency)
    collector.size = len(collector.known | collector.circle)
    for _ in range(ROUNDS):
        if not (collector.known or collector.circle):
            break
        collector.support = {}
        await collector.run(wanted, concurrency)
        if ANCHORED:
            collector.anchor(set(trusted))
        # count again with the rows this round lifted, and without those it dropped (what
        # was read is kept, so this costs requests only for unread followers)
        judged = apply_support(
            rows, collector.support, known=collector.size, exact=collector.exact
        )
        changed = frozenset(known_accounts(judged, follows))
        circle = collector.circle
        if widen and not collector.stopped:
            await collector.widen(trusted, lifted(judged), concurrency)
        if (changed == collector.known and circle == collector.circle) or collector.stopped:
            break
        collector.known = changed
    return collector


def lifted(rows: Sequence[Match]) -> list[str]:
    """The Bluesky rows the graph made likely (support of at least `LIFT`), best first."""
    up = [m for m in rows if m.network == "bluesky" and m.did and m.tier == "likely"]
    up = [m for m in up if (m.support or 0) >= LIFT]
    up.sort(key=lambda m: -(m.support or 0))
    return list(dict.fromkeys(m.did or "" for m in up))


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
    return apply_support(rows, collector.support, known=collector.size, exact=collector.exact)
