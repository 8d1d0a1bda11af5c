"""The harder world's part of bench/bench_matching.py: tiers, recall, impostors, requests.

Each seed is matched three ways on the same world: today's rules without the graph (the
baseline, what main does), with the graph (`chatbot.matching.graph`), and with the graph
plus the follows of the user's own Bluesky account (a user who connected Bluesky); and with
Sky Follower Bridge's rule.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from chatbot.matching import graph_collect, match_archive
from chatbot.matching.model import TIER_RANK, Match
from chatbot.networks.types import BlueskyProfile
from devtools.matchworld import World
from devtools.matchworld_hard import HardParams, build_hard_world
from devtools.memnet import MemoryBluesky

GRAPH_CALLS = ("get_followers", "get_follows", "get_relationships")
RING = 12
FOOLED = 3


class WithoutGraph:
    """The world's Bluesky without the graph reads: the matcher as it is on main."""

    def __init__(self, inner: MemoryBluesky) -> None:
        self.inner = inner

    async def get_profiles(
        self, actors: Sequence[str], *, fresh: bool = False
    ) -> list[BlueskyProfile]:
        return await self.inner.get_profiles(actors, fresh=fresh)

    async def search_actors(self, query: str, limit: int = 10) -> list[BlueskyProfile]:
        return await self.inner.search_actors(query, limit)

    async def resolve_handle(self, handle: str) -> str | None:
        return await self.inner.resolve_handle(handle)


@dataclass
class Row:
    seed: int
    variant: str
    matches: list[Match]
    seconds: float
    requests: int
    graph_requests: int


def pct(num: int, den: int) -> str:
    return f"{100 * num / den:.1f} %" if den else "n/a"


def right(world: World, match: Match) -> bool:
    return match.target in world.truth.get((match.x_id, match.network), set())


BEFORE = "main (no graph)"
NO_CIRCLE = ", no circle (last stop)"
VARIANTS = (BEFORE, "graph" + NO_CIRCLE, "graph + own follows" + NO_CIRCLE, "graph",
            "graph + own follows")  # fmt: skip


async def run(world: World, variant: str) -> Row:
    world.bluesky.calls.clear()
    reader = WithoutGraph(world.bluesky) if variant == BEFORE else world.bluesky
    viewer = world.owner_did if variant.startswith("graph + own follows") else None
    started = time.perf_counter()
    graph_collect.CIRCLE = not variant.endswith(NO_CIRCLE)
    try:
        matches = await match_archive(
            world.archive, world.directory, reader, world.mastodon, decisions={}, viewer=viewer
        )
    finally:
        graph_collect.CIRCLE = True
    seconds = time.perf_counter() - started
    calls = world.bluesky.calls
    graph = sum(calls.get(name, 0) for name in GRAPH_CALLS)
    return Row(world.params.seed, variant, matches, seconds, sum(calls.values()), graph)


def above_real(world: World, matches: list[Match]) -> tuple[int, int]:
    """(cases, X ids) where a wrong copy ranks above the real account that carries a
    genuine cross-link (the real one missing counts as rank 0)."""
    best: dict[tuple[int, bool], int] = {}
    for m in matches:
        if m.network != "bluesky" or m.x_id not in world.genuine_link:
            continue
        key = (m.x_id, right(world, m))
        if right(world, m) or m.target in world.impostor_targets:
            best[key] = max(best.get(key, 0), TIER_RANK[m.tier])
    xs = {x for x, _ in best}
    return sum(best.get((x, False), 0) > best.get((x, True), 0) for x in xs), len(xs)


def summary(world: World, row: Row) -> str:
    findable = world.findable_directory | world.findable_handle
    unasked = [m for m in row.matches if m.tier in ("verified", "likely") or m.confirmed]
    cells = []
    for tier in ("verified", "likely", "possible"):
        group = [m for m in row.matches if m.tier == tier]
        cells.append(f"{len(group)} · {pct(sum(right(world, m) for m in group), len(group))}")
    ok = sum(right(world, m) for m in unasked)
    found = {(m.x_id, m.network) for m in unasked if right(world, m)}
    bad, contested = above_real(world, row.matches)
    wrong_unasked = sum(m.target in world.impostor_targets for m in unasked)
    return (
        f"| {row.seed} | {row.variant} | {' | '.join(cells)} | {len(unasked)} · "
        f"**{pct(ok, len(unasked))}** | {wrong_unasked} | "
        f"**{pct(len(found & findable), len(findable))}** | {bad} of {contested} | "
        f"{row.graph_requests} ({row.requests}) |"
    )


def sfb_summary(world: World, seed: int, base: list[tuple[int, BlueskyProfile]]) -> str:
    findable = world.findable_directory | world.findable_handle
    ok = [(x, p) for x, p in base if p.did in world.truth.get((x, "bluesky"), set())]
    found = {(x, "bluesky") for x, _ in ok}
    wrong = sum(p.did in world.impostor_targets for _, p in base)
    return (
        f"| {seed} | Sky Follower Bridge rule (follows all) | – | – | – | {len(base)} · "
        f"**{pct(len(ok), len(base))}** | {wrong} | "
        f"**{pct(len(found & findable), len(findable))}** | – | – |"
    )


def support_table(world: World, matches: list[Match]) -> list[tuple[int, int, int]]:
    """(threshold, rows with support >= it below verified, right ones) for thresholds 1-5."""
    rows = [m for m in matches if m.support is not None and m.tier != "verified"]
    out = []
    for threshold in range(1, 6):
        group = [m for m in rows if (m.support or 0) >= threshold]
        out.append((threshold, len(group), sum(right(world, m) for m in group)))
    return out


async def hard_report(seeds: Sequence[int], quick: bool, sfb) -> list[str]:  # type: ignore[no-untyped-def]
    lines = [
        "| seed | rules | verified: rows · right | likely | possible | rows /follow takes "
        "unasked · right | wrong copies among them | findable found verified/likely | "
        "copy above a real account with a genuine link | graph requests (all) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    thresholds: dict[int, list[int]] = {}
    described = ""
    for seed in seeds:
        params = HardParams(seed=seed)
        if quick:
            params = HardParams(seed=seed, communities=30, following=400, followers=300,
                                strangers=1500)  # fmt: skip
        world = build_hard_world(params)
        ids = set(world.archive.following) | set(world.archive.followers)
        contacts = len(ids)
        linked = len(world.genuine_link & {x for x in ids if (x, "bluesky") in world.truth})
        findable = len(world.findable_directory | world.findable_handle)
        described += (
            f"seed {seed}: {contacts:,} contacts, {len(world.bluesky.profiles):,} Bluesky "
            f"profiles, {findable} findable real accounts, {len(world.impostor_targets)} "
            f"impostor/fan accounts, {linked} contacts whose real account carries a genuine "
            f"cross-link. "
        )
        for variant in VARIANTS:
            row = await run(world, variant)
            lines.append(summary(world, row))
            if variant == "graph":
                for threshold, n, ok in support_table(world, row.matches):
                    acc = thresholds.setdefault(threshold, [0, 0])
                    acc[0], acc[1] = acc[0] + n, acc[1] + ok
        lines.append(sfb_summary(world, seed, await sfb(world)))
    lines += [
        "",
        "Worlds: " + described.strip(),
        "",
        'Graph support of the rows below verified (all seeds, rules "graph", after the '
        "rules): how often a row followed by at least N accounts of the circle is the right "
        "account. `LIFT` = 2 lifts a possible row that dominates its rivals (see the notes).",
        "",
        "| N followers in the circle or more | rows | right |",
        "|---:|---:|---:|",
    ]
    for threshold, (n, ok) in sorted(thresholds.items()):
        lines.append(f"| {threshold} | {n} | {pct(ok, n)} |")
    ringed = build_hard_world(replace(params, seed=seeds[0], ring=RING))
    lines += [
        "",
        f"A Sybil ring (seed {seeds[0]}: {RING} impostors, each on the exact X name of a "
        "contact the user's posts name, all follow each other), with and without anchoring "
        "(`graph_collect.ANCHORED`):",
        "",
        lines[0],
        lines[1],
    ]
    for anchored in (True, False):
        graph_collect.ANCHORED = anchored
        try:
            for variant in ("graph", "graph + own follows"):
                row = await run(ringed, variant)
                row.variant += "" if anchored else ", not anchored"
                lines.append(summary(ringed, row))
        finally:
            graph_collect.ANCHORED = True
    fooled = build_hard_world(replace(params, seed=seeds[0], ring=RING, fooled=FOOLED))
    lines += [
        "",
        f"The same ring, once {FOOLED} accounts of its first member's victim's community "
        "were fooled into following it (so it is lifted: the bound), with the circle's "
        f"quorum (`graph_collect.QUORUM` = {graph_collect.QUORUM}: one lifted row adds "
        "nobody to the circle) and with a quorum of 1:",
        "",
        lines[0],
        lines[1],
    ]
    quorum = graph_collect.QUORUM
    for q in (quorum, 1):
        graph_collect.QUORUM = q
        try:
            for variant in ("graph", "graph + own follows"):
                row = await run(fooled, variant)
                row.variant += f", quorum {q}"
                lines.append(summary(fooled, row))
        finally:
            graph_collect.QUORUM = quorum
    return lines
