"""Threads lookups of one matching run, and the cost of the network chart (issue 15: 2, 7).

Usage:
    .venv/bin/python bench/bench_threads.py [--named 500] [--budget 1000]

An archive follows N accounts whose names it knows (as recovered from the owner's posts);
every fifth name has a Threads account that shares on the fediverse. The engine matches
it with the real `ThreadsLookup` against the Threads stand-in (tests/servers/
threads_standin.py) on 127.0.0.1: once as Threads answers today (actors only to signed
requests), once with actors that answer (the bios read). Prints the requests, the Threads
matches per tier and the time; then the median time and size of the chart of that run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chatbot.archive.model import Owner, ParsedArchive, id_array
from chatbot.i18n import translator
from chatbot.matching import MemoryDirectory, match_archive
from chatbot.matching.model import Match
from chatbot.matching.reach import reach_of
from chatbot.networks import lookup_budget
from chatbot.networks.threads import ThreadsLookup
from chatbot.summary.netchart import reach_png
from devtools.memnet import MemoryBluesky
from handlers.netchart_view import chart_labels
from tests.servers.egress import local_egress
from tests.servers.threads_standin import ThreadsProfile, ThreadsStandin


def archive(named: int) -> ParsedArchive:
    parsed = ParsedArchive(
        era="manifest",
        owner=Owner(account_id="1", username="me"),
        following=id_array(range(10, 10 + named)),
        followers=id_array(),
    )
    parsed.handles = {10 + i: Counter({f"user{i}": 2}) for i in range(named)}
    return parsed


async def run(named: int, budget_per_run: int) -> list[Match]:
    server = ThreadsStandin()
    for i in range(0, named, 5):
        server.add(ThreadsProfile(f"user{i}", bio=f"x.com/user{i}"))
    parsed = archive(named)
    found: list[Match] = []
    async with server.running():
        for label, signed in (("actors need signatures (Threads today)", True),
                              ("actors answer (bios read)", False)):  # fmt: skip
            server.signed_fetch = signed
            server.hits.clear()
            budget = lookup_budget.LookupBudget(per_run=budget_per_run, per_second=1000)
            started = time.perf_counter()
            async with ThreadsLookup(server.base, egress=local_egress()) as reader:
                with lookup_budget.metered(budget):
                    found = await match_archive(parsed, MemoryDirectory(), MemoryBluesky(),
                                                None, decisions={}, threads=reader)  # fmt: skip
            took = time.perf_counter() - started
            tiers = Counter(m.tier for m in found if m.network == "threads")
            print(f"{label}: {named} named contacts, {len(server.hits)} requests "
                  f"(budget {budget.spent['threads']} spent, capped: {bool(budget.capped)}), "
                  f"Threads matches {dict(tiers)}, {took:.2f} s")  # fmt: skip
    return found


def chart(found: list[Match], named: int) -> None:
    reach = reach_of(found, following=named, followers=0)
    labels = chart_labels(translator("fr"), reach, "Où est parti votre réseau X")
    reach_png(reach, labels)  # fonts loaded
    times = []
    for _ in range(21):
        started = time.perf_counter()
        png = reach_png(reach, labels)
        times.append(time.perf_counter() - started)
    times.sort()
    print(f"chart: median {times[10] * 1000:.1f} ms, {len(png):,} bytes")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--named", type=int, default=500)
    parser.add_argument("--budget", type=int, default=1000)
    args = parser.parse_args()
    found = asyncio.run(run(args.named, args.budget))
    chart(found, args.named)


if __name__ == "__main__":
    main()
