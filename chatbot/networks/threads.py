"""Threads accounts as the fediverse sees them: names, bio links, WebFinger and the actor.

Threads profiles whose owners turned on "fediverse sharing" are reachable as
``@user@threads.net``; the others are not reachable at all (WebFinger answers 404). The
web domain moved from threads.net to threads.com in 2025: both spellings are accepted
everywhere a user or a bio writes one, and normalised to the fediverse address
``user@threads.net`` (the one Mastodon servers resolve).

`ThreadsLookup` implements `ThreadsReader`:

1. ``GET {base}/.well-known/webfinger?resource=acct:user@threads.net``: 404 (or any
   non-200) means "not reachable" (no such user, or not opted in).
2. The JRD's ``self`` link (an ``application/activity+json`` actor on the same site) is
   fetched for ``preferredUsername``, ``name`` and ``summary`` (the bio). Threads answers
   only signed actor fetches ("authorized fetch"), which this reader does not make: there
   the account keeps what WebFinger said (no bio), and the rules that read a Threads bio
   (`chatbot.matching.threads` T2/T3 upgrades) do not apply; after
   `REFUSALS_BEFORE_SKIPPING` refusals in a row the reader stops asking for actors. A
   subject or an actor naming another user than the one asked is not accepted.

Requests are charged to the user's lookup budget as service ``threads``, rate limits
(429 and ``Retry-After``) are honoured by `RateLimitedClient`, results are cached (24 h
found, 5 min missing) and every request goes through the egress policy. The base URL is
``https://www.threads.net`` in production; tests point it at a local stand-in
(``tests/servers/threads_standin.py``), which documents what is known of Threads'
answers and what is assumed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from chatbot.networks.cache import HIT_TTL, MISS_TTL, TTLCache
from chatbot.networks.egress import Egress, Refused, check_url
from chatbot.networks.html_text import html_to_text
from chatbot.networks.http import HttpPolicy, RateLimitedClient, guarded
from chatbot.networks.lookup_budget import LookupCapped
from chatbot.networks.threads_names import (
    TEXT_LIMIT,
    ThreadsAccount,
    threads_acct,
    threads_username,
    username_of,
)
from chatbot.networks.types import NetworkUnavailable

THREADS_BASE_URL = "https://www.threads.net"
REFUSALS_BEFORE_SKIPPING = 3  # actors refused in a row before the reader stops asking
_AP_TYPES = "application/activity+json"
_AP_ACCEPT = f'{_AP_TYPES}, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


class ThreadsLookup:
    """`ThreadsReader` over WebFinger and ActivityPub, on `base_url` (Threads' own host)."""

    def __init__(
        self,
        base_url: str = THREADS_BASE_URL,
        *,
        policy: HttpPolicy | None = None,
        egress: Egress | None = None,
        hit_ttl: float = HIT_TTL,
        miss_ttl: float = MISS_TTL,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.egress = egress or Egress()
        self._host = (urlsplit(self.base_url).netloc or "").lower()
        self._shared = guarded(policy or HttpPolicy(), self.egress)
        self._client = RateLimitedClient("threads", self.base_url, policy=policy,
                                         shared=self._shared)  # fmt: skip
        self.cache: TTLCache[str, ThreadsAccount] = TTLCache(hit_ttl, miss_ttl)
        # Threads answers only signed actor fetches: after a few refusals in a row (of
        # accounts WebFinger found) the reader stops asking, which halves its requests
        self.refused = 0

    @property
    def requests(self) -> int:
        return self._client.requests

    async def aclose(self) -> None:
        await self._shared.aclose()

    async def __aenter__(self) -> ThreadsLookup:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def lookup(self, username: str) -> ThreadsAccount | None:
        name = threads_username(username) or username_of(username.lstrip("@"))
        if name is None:
            return None
        cached, account = self.cache.get(name)
        if cached:
            return account
        account = await self._lookup(name)
        self.cache.put(name, account)
        return account

    async def _lookup(self, name: str) -> ThreadsAccount | None:
        response = await self._client.get(
            "/.well-known/webfinger",
            params={"resource": f"acct:{threads_acct(name)}"},
            headers={"Accept": "application/jrd+json, application/json"},
        )
        if response.status_code != 200:
            return None  # not found, or not opted in to fediverse sharing
        jrd = _json(response)
        if jrd is None:
            return None
        subject = str(jrd.get("subject") or "").removeprefix("acct:")
        if subject and threads_username(subject) != name:
            return None  # an answer about someone else
        links = [link for link in jrd.get("links") or () if isinstance(link, dict)][:20]
        actor_url = next(
            (
                str(link["href"])
                for link in links
                if link.get("rel") == "self"
                and _AP_TYPES in str(link.get("type"))
                and isinstance(link.get("href"), str)
            ),
            None,
        )
        page = f"https://www.threads.com/@{name}"
        asking = actor_url is not None and self.refused < REFUSALS_BEFORE_SKIPPING
        actor = await self._actor(actor_url) if asking and actor_url else None
        if asking:
            self.refused = 0 if actor is not None else self.refused + 1
        if actor is None:
            return ThreadsAccount(name, page)
        preferred = actor.get("preferredUsername")
        if isinstance(preferred, str) and preferred.lower() != name:
            return None
        display = actor.get("name")
        return ThreadsAccount(
            username=name,
            url=page,
            display_name=display[:200] if isinstance(display, str) and display else None,
            note=html_to_text(str(actor.get("summary") or "")[:TEXT_LIMIT]) or None,
        )

    async def _actor(self, url: str) -> dict[str, Any] | None:
        """The actor the JRD links to: on Threads' own host only, within the egress policy."""
        try:
            url = check_url(self.egress, url)
        except Refused:
            return None
        if _site(urlsplit(url).netloc) != _site(self._host):
            return None  # e.g. threads.net and www.threads.net: the same site
        try:
            response = await self._client.get(url, headers={"Accept": _AP_ACCEPT})
        except (NetworkUnavailable, LookupCapped):  # WebFinger said enough
            return None
        if response.status_code != 200:
            return None  # e.g. a signed fetch required: keep what WebFinger said
        return _json(response)


def _site(netloc: str) -> str:
    return netloc.lower().removeprefix("www.")


def _json(response: Any) -> dict[str, Any] | None:
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
