"""Graph reads (`chatbot/networks/bluesky_graph.py`) against a hostile AppView over real HTTP.

The stand-in answers every ``getFollowers`` with an endless list (always a next cursor),
pages far over the lexicon's 100, invalid DIDs, duplicates, non-objects, a cursor of
100 kB, and ``getRelationships`` with accounts nobody asked about. The reader keeps what is
valid and bounded; the collector stays within its request bounds and counts nothing
twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from chatbot.matching import graph_collect as gc
from chatbot.networks.bluesky import PublicAppView
from tests.servers.egress import local_egress

KNOWN = [f"did:plc:known{i:04d}" for i in range(10)]


class Hostile:
    def __init__(self) -> None:
        self.requests: dict[str, int] = {}

    async def followers(self, request: web.Request) -> web.Response:
        self.requests["followers"] = self.requests.get("followers", 0) + 1
        actor = request.query.get("actor", "")
        cursor = request.query.get("cursor")
        page = int(cursor) if cursor and cursor.isdigit() else 0
        items: list[Any] = [{"did": f"did:plc:f{page}x{i}"} for i in range(5000)]
        items[:0] = [
            {"did": KNOWN[0]}, {"did": KNOWN[0]}, {"did": "not a did"}, "junk", None,
            {"did": "did:plc:" + "a" * 5000}, {"did": 42},
        ]  # fmt: skip
        body: dict[str, Any] = {"subject": {"did": actor}, "followers": items}
        body["cursor"] = "x" * 100_000 if actor.endswith("huge") else str(page + 1)
        if actor.endswith("empty"):
            body = {"followers": [], "cursor": "again"}
        return web.json_response(body)

    async def relationships(self, request: web.Request) -> web.Response:
        self.requests["relationships"] = self.requests.get("relationships", 0) + 1
        others = request.query.getall("others")
        rels: list[Any] = [{"did": o, "followedBy": "at://x"} for o in others]
        rels += [{"did": f"did:plc:stranger{i}", "followedBy": "at://x"} for i in range(50)]
        return web.json_response({"actor": request.query.get("actor"), "relationships": rels})

    @asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        app = web.Application()
        app.router.add_get("/xrpc/app.bsky.graph.getFollowers", self.followers)
        app.router.add_get("/xrpc/app.bsky.graph.getRelationships", self.relationships)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            await runner.cleanup()


async def test_hostile_pages_are_bounded_and_checked() -> None:
    hostile = Hostile()
    async with hostile.running() as url:
        reader = PublicAppView(url, egress=local_egress())
        try:
            page = await reader.get_followers("did:plc:star")
            # at most the lexicon's 100 items are read; only valid DIDs, once each
            assert 0 < len(page.dids) <= 100 and len(set(page.dids)) == len(page.dids)
            assert page.dids[0] == KNOWN[0] and all(d.startswith("did:plc:") for d in page.dids)
            assert all(len(d) < 100 for d in page.dids)
            assert page.cursor == "1"
            assert (await reader.get_followers("did:plc:huge")).cursor is None
            empty = await reader.get_followers("did:plc:empty")
            assert empty.dids == () and empty.cursor is None  # no loop on empty pages
            assert (await reader.get_followers("not a did")).dids == ()
            asked = KNOWN[:3]
            answer = await reader.get_relationships("did:plc:star", asked)
            assert set(answer) == set(asked) and all(r.followed_by for r in answer.values())
            calls = dict(hostile.requests)
            await reader.get_followers("did:plc:star")  # cached
            await reader.get_relationships("did:plc:star", asked)
            assert hostile.requests == calls

            # the collector on an endless, popular account: bounded, nothing counted twice
            collector = gc.Collector(reader, frozenset(KNOWN), max_requests=50)
            count = await collector.count("did:plc:other", 100)
            assert count == len(KNOWN)  # KNOWN[0] from the pages, the rest by relationships
            assert collector.requests <= 1 + gc.RELATIONSHIP_CALLS
            many = frozenset(f"did:plc:m{i}" for i in range(1000))
            paged = gc.Collector(reader, many, max_requests=50)
            assert await paged.count("did:plc:third", 100) == 0
            assert paged.requests == gc.FOLLOWER_PAGES and "did:plc:third" not in paged.exact
        finally:
            await reader.aclose()
