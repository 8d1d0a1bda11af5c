"""Reads of the Bluesky follow graph through the AppView (``app.bsky.graph.*``), unauthenticated.

`GraphReads` is mixed into `chatbot.networks.bluesky.PublicAppView`: it uses its
rate-limited client (egress, retries, rate-limit headers, the user's lookup budget) and
adds per-DID caches. ``getFollowers`` / ``getFollows`` pages (at most 100 DIDs each) and
``getRelationships`` answers (at most 30 others per request, the lexicon's maximum) are kept
`GRAPH_TTL`: who follows whom changes slowly, and a second /match within the hour costs
nothing. Every DID read from the network is checked; anything else is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import httpx

from chatbot.networks.cache import TTLCache
from chatbot.networks.http import RateLimitedClient, gather_all
from chatbot.networks.types import FollowPage, NetworkUnavailable, Relationship

GRAPH_TTL = 3600.0
PAGE_MAX = 100  # getFollowers / getFollows: limit 1-100
RELATIONSHIPS_MAX = 30  # getRelationships: others maxLength 30
CURSOR_MAX = 512  # an opaque cursor longer than this is not followed
_DID = re.compile(r"^did:[a-z]+:[a-zA-Z0-9._:%-]{1,2000}$")


def valid_did(value: object) -> bool:
    return isinstance(value, str) and bool(_DID.match(value))


class GraphReads:
    """`BlueskyGraphReader` for a class with an ``http`` `RateLimitedClient`."""

    http: RateLimitedClient

    def _graph_caches(self, ttl: float = GRAPH_TTL) -> None:
        self.pages: TTLCache[tuple[str, str, str, int], FollowPage] = TTLCache(ttl, ttl)
        self.relations: TTLCache[tuple[str, str], Relationship] = TTLCache(ttl, ttl)

    async def get_followers(
        self, actor: str, cursor: str | None = None, limit: int = PAGE_MAX
    ) -> FollowPage:
        return await self._page("getFollowers", "followers", actor, cursor, limit)

    async def get_follows(
        self, actor: str, cursor: str | None = None, limit: int = PAGE_MAX
    ) -> FollowPage:
        return await self._page("getFollows", "follows", actor, cursor, limit)

    async def _page(
        self, method: str, field: str, actor: str, cursor: str | None, limit: int
    ) -> FollowPage:
        if not valid_did(actor):
            return FollowPage(())
        limit = max(1, min(PAGE_MAX, limit))
        key = (method, actor, cursor or "", limit)
        cached, page = self.pages.get(key)
        if cached and page is not None:
            return page
        params: dict[str, str | int] = {"actor": actor, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = await self.http.get(f"/xrpc/app.bsky.graph.{method}", params=params)
        if response.status_code == 400:  # unknown or deleted actor
            page = FollowPage(())
        elif response.status_code != 200:
            raise NetworkUnavailable("bluesky", f"{method}: HTTP {response.status_code}")
        else:
            data = appview_json(response)
            dids: list[str] = []
            for view in (data.get(field) or ())[:PAGE_MAX]:
                did = view.get("did") if isinstance(view, dict) else None
                if isinstance(did, str) and valid_did(did) and did not in dids:
                    dids.append(did)
            next_cursor = data.get("cursor")
            ok = isinstance(next_cursor, str) and 0 < len(next_cursor) <= CURSOR_MAX
            # an empty page with a cursor would loop: the list ends there
            page = FollowPage(tuple(dids), next_cursor if ok and dids else None)
        self.pages.put(key, page)
        return page

    async def get_relationships(
        self, actor: str, others: Sequence[str]
    ) -> dict[str, Relationship]:
        if not valid_did(actor):
            return {}
        wanted = list(dict.fromkeys(o for o in others if valid_did(o) and o != actor))
        found: dict[str, Relationship] = {}
        todo = []
        for other in wanted:
            cached, relation = self.relations.get((actor, other))
            if cached and relation is not None:
                found[other] = relation
            else:
                todo.append(other)
        chunks = [todo[i : i + RELATIONSHIPS_MAX] for i in range(0, len(todo), RELATIONSHIPS_MAX)]
        for answer in await gather_all(self._relationships(actor, c) for c in chunks):
            found.update(answer)
        return found

    async def _relationships(self, actor: str, others: list[str]) -> dict[str, Relationship]:
        response = await self.http.get(
            "/xrpc/app.bsky.graph.getRelationships",
            params=httpx.QueryParams([("actor", actor), *(("others", o) for o in others)]),
        )
        if response.status_code == 400:
            return {}
        if response.status_code != 200:
            raise NetworkUnavailable("bluesky", f"getRelationships: HTTP {response.status_code}")
        out: dict[str, Relationship] = {}
        asked = set(others)
        for item in (appview_json(response).get("relationships") or ())[: len(others)]:
            did = item.get("did") if isinstance(item, dict) else None
            if did not in asked or item.get("notFound"):
                continue
            relation = Relationship(
                following=bool(item.get("following")), followed_by=bool(item.get("followedBy"))
            )
            out[did] = relation
            self.relations.put((actor, did), relation)
        for other in others:  # not in the answer: no relationship (and not worth a retry)
            if other not in out:
                out[other] = Relationship()
                self.relations.put((actor, other), out[other])
        return out


def appview_json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise NetworkUnavailable("bluesky", "invalid JSON from the AppView") from None
    return data if isinstance(data, dict) else {}
