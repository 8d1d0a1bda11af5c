"""Bluesky reads through a public AppView, unauthenticated (plain XRPC over httpx).

`PublicAppView` implements `BlueskyReader`: ``app.bsky.actor.getProfiles`` in batches of
25 (the lexicon's maximum), ``app.bsky.actor.searchActors``,
``com.atproto.identity.resolveHandle`` and the follow graph (`GraphReads`: ``getFollowers``,
``getFollows``, ``getRelationships``). Results are cached (24 h for what was found,
5 min for misses), requests are bounded and rate-limit aware (see `chatbot.networks.http`).
Handle resolution may use another service than the AppView (for example a PDS, which is
the only resolver of ``.test`` handles on a local network).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import httpx

from chatbot.networks.bluesky_graph import GraphReads, appview_json
from chatbot.networks.cache import HIT_TTL, MISS_TTL, TTLCache
from chatbot.networks.egress import Egress
from chatbot.networks.http import HttpPolicy, RateLimitedClient, gather_all
from chatbot.networks.types import BlueskyProfile, NetworkUnavailable

DEFAULT_APPVIEW = "https://public.api.bsky.app"
BATCH = 25  # app.bsky.actor.getProfiles: actors maxLength 25
TEXT_MAX = 3000  # characters kept of a display name or bio (the lexicons allow far fewer)
MAX_VERIFICATIONS = 50  # verifications read on one profile
MAX_LABELS = 100  # labels read on one profile
# searches are kept 6 h, found or not: a user whose lookups were capped (lookup_budget)
# gets further on the next /match instead of paying for the same queries again
SEARCH_TTL = 6 * 3600.0

_HANDLE = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
_DID = re.compile(r"^did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]$")


def normalize_actor(actor: str) -> str | None:
    """A DID as is, or a lower-cased handle without '@'; None when it is neither."""
    actor = actor.strip()
    if actor.startswith("did:"):
        return actor if _DID.match(actor) and len(actor) <= 2048 else None
    handle = actor.lstrip("@").lower().rstrip(".")
    return handle if len(handle) <= 253 and _HANDLE.match(handle) else None


def _verification(state: object) -> tuple[bool, str | None]:
    """``app.bsky.actor.defs#verificationState``: whether ``verifiedStatus`` is "valid" (the
    AppView counts only the verifiers it trusts), and the handle of a valid issuer."""
    if not isinstance(state, dict) or state.get("verifiedStatus") != "valid":
        return False, None
    items = state.get("verifications")
    for item in items[:MAX_VERIFICATIONS] if isinstance(items, list) else ():
        if not isinstance(item, dict) or item.get("isValid") is not True:
            continue
        issuer = item.get("issuerHandle")
        if isinstance(issuer, str) and normalize_actor(issuer):
            return True, issuer.lower()
    return True, None


def _profile(view: dict[str, Any]) -> BlueskyProfile | None:
    did, handle = view.get("did"), view.get("handle")
    if not isinstance(did, str) or not isinstance(handle, str):
        return None
    labels: list[str] = []
    raw = view.get("labels")
    for label in raw[:MAX_LABELS] if isinstance(raw, list) else ():
        val = label.get("val") if isinstance(label, dict) else None
        if isinstance(val, str) and not label.get("neg") and val not in labels:
            labels.append(val)
    display = view.get("displayName")
    description = view.get("description")
    verified, verifier = _verification(view.get("verification"))
    return BlueskyProfile(
        did=did,
        handle=handle.lower(),
        display_name=display[:TEXT_MAX] if isinstance(display, str) and display.strip() else None,
        description=description[:TEXT_MAX]
        if isinstance(description, str) and description
        else None,
        labels=tuple(labels),
        verified=verified,
        verifier=verifier,
    )


class PublicAppView(GraphReads):
    """`BlueskyReader` over a public AppView (default https://public.api.bsky.app)."""

    def __init__(
        self,
        base_url: str = DEFAULT_APPVIEW,
        *,
        resolver_url: str | None = None,
        policy: HttpPolicy | None = None,
        hit_ttl: float = HIT_TTL,
        miss_ttl: float = MISS_TTL,
        search_ttl: float = SEARCH_TTL,
        egress: Egress | None = None,
    ) -> None:
        self.http = RateLimitedClient("bluesky", base_url, policy=policy, egress=egress)
        if resolver_url and resolver_url.rstrip("/") != base_url.rstrip("/"):
            self.resolver: RateLimitedClient = RateLimitedClient(
                "bluesky", resolver_url, policy=policy, egress=egress
            )
        else:
            self.resolver = self.http
        self.profiles: TTLCache[str, BlueskyProfile] = TTLCache(hit_ttl, miss_ttl)
        self.handles: TTLCache[str, str] = TTLCache(hit_ttl, miss_ttl)
        self.searches: TTLCache[tuple[str, int], list[BlueskyProfile]] = TTLCache(
            search_ttl, search_ttl
        )
        self._graph_caches()

    async def aclose(self) -> None:
        await self.http.aclose()
        if self.resolver is not self.http:
            await self.resolver.aclose()

    async def __aenter__(self) -> PublicAppView:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- profiles ------------------------------------------------------------------------

    async def get_profiles(
        self, actors: Sequence[str], *, fresh: bool = False
    ) -> list[BlueskyProfile]:
        wanted: list[str] = []
        for actor in actors:
            key = normalize_actor(actor)
            if key and key not in wanted:
                wanted.append(key)
        found: dict[str, BlueskyProfile] = {}
        todo = []
        for key in wanted:
            cached, profile = (False, None) if fresh else self.profiles.get(key)
            if not cached:
                todo.append(key)
            elif profile is not None:
                found[key] = profile
        batches = [todo[i : i + BATCH] for i in range(0, len(todo), BATCH)]
        for batch_result in await gather_all(self._fetch(b) for b in batches):
            found.update(batch_result)
        result: list[BlueskyProfile] = []
        seen: set[str] = set()
        for key in wanted:
            profile = found.get(key)
            if profile is not None and profile.did not in seen:
                seen.add(profile.did)
                result.append(profile)
        return result

    async def _fetch(self, batch: list[str]) -> dict[str, BlueskyProfile]:
        """Fetch one batch; cache every answer and every miss."""
        response = await self.http.get(
            "/xrpc/app.bsky.actor.getProfiles",
            params=httpx.QueryParams([("actors", a) for a in batch]),
        )
        if response.status_code == 400 and len(batch) > 1:
            # one bad actor fails the whole batch: bisect to keep the good ones
            half = len(batch) // 2
            left, right = await gather_all([self._fetch(batch[:half]), self._fetch(batch[half:])])
            return {**left, **right}
        found: dict[str, BlueskyProfile] = {}
        if response.status_code == 200:
            for view in appview_json(response).get("profiles") or ():
                profile = _profile(view) if isinstance(view, dict) else None
                if profile is None:
                    continue
                self._remember(profile)
                for key in (profile.did, profile.handle):
                    if key in batch:
                        found[key] = profile
        elif response.status_code != 400:
            raise NetworkUnavailable("bluesky", f"getProfiles: HTTP {response.status_code}")
        for key in batch:
            if key not in found:
                self.profiles.put(key, None)
        return found

    def _remember(self, profile: BlueskyProfile) -> None:
        self.profiles.put(profile.did, profile)
        self.profiles.put(profile.handle, profile)

    # -- search --------------------------------------------------------------------------

    async def search_actors(self, query: str, limit: int = 10) -> list[BlueskyProfile]:
        query = query.strip()
        limit = max(1, min(100, limit))
        if not query:
            return []
        cached, hits = self.searches.get((query, limit))
        if cached:
            return list(hits or ())
        response = await self.http.get(
            "/xrpc/app.bsky.actor.searchActors", params={"q": query, "limit": limit}
        )
        if response.status_code == 400:
            return []
        if response.status_code != 200:
            raise NetworkUnavailable("bluesky", f"searchActors: HTTP {response.status_code}")
        result = []
        for view in appview_json(response).get("actors") or ():
            profile = _profile(view) if isinstance(view, dict) else None
            if profile is not None:
                result.append(profile)
                self._remember(profile)
        self.searches.put((query, limit), result or None)
        return result

    # -- handles -------------------------------------------------------------------------

    async def resolve_handle(self, handle: str) -> str | None:
        key = normalize_actor(handle)
        if key is None:
            return None
        if key.startswith("did:"):
            return key
        cached, did = self.handles.get(key)
        if cached:
            return did
        response = await self.resolver.get(
            "/xrpc/com.atproto.identity.resolveHandle", params={"handle": key}
        )
        if response.status_code == 200:
            value = appview_json(response).get("did")
            did = value if isinstance(value, str) and value.startswith("did:") else None
        elif response.status_code in (400, 404):
            did = None
        else:
            raise NetworkUnavailable("bluesky", f"resolveHandle: HTTP {response.status_code}")
        self.handles.put(key, did)
        return did
