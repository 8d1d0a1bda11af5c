"""Mastodon account lookups: an instance's lookup API, then WebFinger on the account's domain.

`MastodonLookup` implements `MastodonReader`:

1. ``GET {instance}/api/v1/accounts/lookup?acct=user@domain`` on the configured instance
   (the user's own or one the operator chose). It only knows accounts that instance has
   already seen (no WebFinger), but gives the whole Account entity: ``moved``, ``locked``,
   ``bot``, the bio.
2. When that finds nothing (or no instance is configured) and `webfinger` is on,
   ``GET https://{domain}/.well-known/webfinger?resource=acct:user@domain``, then the
   ActivityPub actor it links to (best effort: servers in "secure mode" refuse unsigned
   fetches, in which case the account is returned with what WebFinger said).

Results are cached (24 h found, 5 min missing); ``X-RateLimit-*`` headers are honoured per
host; every request is async, bounded and goes through the egress policy (a domain from a
stranger's bio never reaches an internal address); a host that does not answer raises
`NetworkUnavailable`. A WebFinger answer naming another account (``subject``) is accepted
only when that account's own domain confirms the same actor (Mastodon's rule).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from chatbot.networks.cache import HIT_TTL, MISS_TTL, TTLCache
from chatbot.networks.egress import Egress, Refused, check_url
from chatbot.networks.html_text import html_to_text
from chatbot.networks.http import HttpPolicy, RateLimitedClient, guarded
from chatbot.networks.types import MastodonAccount, NetworkUnavailable

# user@host[:port]; the host in any form a URL takes (names, IPv4 in any spelling,
# [IPv6]): the egress policy, not this pattern, decides what may be reached
_ACCT = re.compile(
    r"^@?([A-Za-z0-9_.-]{1,64})@([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(:\d{1,5})?$"
)
_AP_TYPES = "application/activity+json"
_AP_ACCEPT = f'{_AP_TYPES}, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


def normalize_acct(acct: str) -> tuple[str, str] | None:
    """(username, lower-cased domain[:port]) of `user@domain` or `@user@domain`, else None."""
    match = _ACCT.match(unicodedata.normalize("NFKC", acct).strip())
    if not match:
        return None
    return match.group(1), (match.group(2) + (match.group(3) or "")).lower()


def _host(url: str) -> str:
    return (urlsplit(url).netloc or "").lower()


class MastodonLookup:
    """`MastodonReader` against one instance, with an optional WebFinger fallback."""

    def __init__(
        self,
        instance_url: str | None = None,
        *,
        webfinger: bool = True,
        webfinger_scheme: str = "https",
        policy: HttpPolicy | None = None,
        hit_ttl: float = HIT_TTL,
        miss_ttl: float = MISS_TTL,
        egress: Egress | None = None,
    ) -> None:
        self.instance_url = instance_url.rstrip("/") if instance_url else None
        self.webfinger = webfinger
        # https; http only for local test servers (the egress policy refuses plain http
        # to anything not allow-listed)
        self.webfinger_scheme = webfinger_scheme
        self.egress = egress or Egress()
        self._policy = policy
        # one connection pool for every host (bios name thousands of domains: a pool per
        # host would keep idle sockets open for each); a rate-limit state per host
        self._http = guarded(policy or HttpPolicy(), self.egress)
        self._clients: dict[str, RateLimitedClient] = {}
        self.cache: TTLCache[str, MastodonAccount] = TTLCache(hit_ttl, miss_ttl)

    def _client(self, base: str) -> RateLimitedClient:
        """One client (one rate-limit budget) per host."""
        host = _host(base)
        if host not in self._clients:
            self._clients[host] = RateLimitedClient(
                "mastodon", policy=self._policy, shared=self._http
            )
        return self._clients[host]

    @property
    def requests(self) -> int:
        return sum(client.requests for client in self._clients.values())

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
        await self._http.aclose()

    async def __aenter__(self) -> MastodonLookup:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def lookup(self, acct: str, *, fresh: bool = False) -> MastodonAccount | None:
        parts = normalize_acct(acct)
        if parts is None:
            return None
        key = f"{parts[0].lower()}@{parts[1]}"
        cached, account = (False, None) if fresh else self.cache.get(key)
        if cached:
            return account
        account = None
        if self.instance_url:
            account = await self._instance_lookup(*parts)
        if account is None and self.webfinger:
            account = await self._webfinger(*parts)
        self.cache.put(key, account)
        return account

    # -- the instance's lookup API -------------------------------------------------------

    async def _instance_lookup(self, username: str, domain: str) -> MastodonAccount | None:
        assert self.instance_url is not None
        url = f"{self.instance_url}/api/v1/accounts/lookup"
        # the instance's own accounts by their bare username (what the web UI does)
        local = domain == _host(self.instance_url)
        wanted = username if local else f"{username}@{domain}"
        response = await self._client(url).get(url, params={"acct": wanted})
        if response.status_code in (404, 410, 400, 422):
            return None
        if response.status_code in (401, 403):  # e.g. an instance in limited-federation mode
            return None
        if response.status_code != 200:
            raise NetworkUnavailable("mastodon", f"lookup: HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise NetworkUnavailable("mastodon", "invalid JSON from the instance") from None
        account = _account(data, domain) if isinstance(data, dict) else None
        if account is None or account.acct.split("@")[0].lower() != username.lower():
            return None
        return account

    # -- WebFinger + ActivityPub actor ---------------------------------------------------

    async def _jrd(self, username: str, domain: str) -> dict[str, Any] | None:
        """The WebFinger answer for ``acct:username@domain`` at that domain, or None."""
        base = f"{self.webfinger_scheme}://{domain}"
        try:
            response = await self._client(base).get(
                f"{base}/.well-known/webfinger",
                params={"resource": f"acct:{username}@{domain}"},
                headers={"Accept": "application/jrd+json, application/json"},
            )
        except NetworkUnavailable:
            return None  # a dead, refused or non-existent domain: the account is not reachable
        if response.status_code != 200:
            return None
        try:
            jrd = response.json()
        except ValueError:
            return None
        return jrd if isinstance(jrd, dict) else None

    async def _webfinger(self, username: str, domain: str) -> MastodonAccount | None:
        """WebFinger, then the actor. The account keeps the address asked for, unless the
        answer names another subject whose own domain's WebFinger gives the same actor
        (Mastodon's rule): a server cannot make us store an account on another domain."""
        jrd = await self._jrd(username, domain)
        if jrd is None:
            return None
        actor_url = _self_link(jrd)
        subject = normalize_acct(str(jrd.get("subject") or "").removeprefix("acct:"))
        canonical = (username, domain)
        if subject is not None and _key(subject) != _key(canonical):
            other = await self._jrd(*subject)
            confirmed = normalize_acct(
                str((other or {}).get("subject") or "").removeprefix("acct:")
            )
            if other is None or actor_url is None or _self_link(other) != actor_url:
                return None
            if confirmed is None or _key(confirmed) != _key(subject):
                return None
            canonical = subject
        elif subject is not None:
            canonical = subject
        acct = f"{canonical[0]}@{canonical[1]}"
        links = [link for link in jrd.get("links") or () if isinstance(link, dict)]
        profile = next(
            (str(x["href"]) for x in links if x.get("rel") == _PROFILE_PAGE and x.get("href")),
            None,
        )
        base = f"{self.webfinger_scheme}://{domain}"
        actor = await self._actor(actor_url) if actor_url else None
        if actor is None:
            return MastodonAccount(acct=acct, url=profile or actor_url or f"{base}/@{username}")
        moved_to = None
        moved_url = actor.get("movedTo")
        if isinstance(moved_url, str):
            moved = await self._actor(moved_url)
            name = moved.get("preferredUsername") if moved else None
            if isinstance(name, str):
                moved_to = f"{name}@{_host(moved_url)}"
        name = actor.get("name")
        url = actor.get("url")
        return MastodonAccount(
            acct=acct,
            url=url if isinstance(url, str) else profile or actor_url or base,
            display_name=name if isinstance(name, str) and name else None,
            note=html_to_text(str(actor.get("summary") or "")) or None,
            moved_to=moved_to,
            locked=bool(actor.get("manuallyApprovesFollowers")),
            bot=actor.get("type") in ("Service", "Application"),
        )

    async def _actor(self, url: str) -> dict[str, Any] | None:
        """An ActivityPub actor; only URLs the egress policy accepts from a document."""
        try:
            url = check_url(self.egress, url)
        except Refused:
            return None
        try:
            response = await self._client(url).get(url, headers={"Accept": _AP_ACCEPT})
        except NetworkUnavailable:
            return None
        if response.status_code != 200:
            return None
        try:
            data = response.json()
        except ValueError:
            return None
        return data if isinstance(data, dict) else None


def _key(acct: tuple[str, str]) -> tuple[str, str]:
    return acct[0].lower(), acct[1].lower()


def _self_link(jrd: dict[str, Any]) -> str | None:
    """The ActivityPub actor URL a JRD links to (rel=self, an activity+json type)."""
    for link in jrd.get("links") or ():
        if (
            isinstance(link, dict)
            and link.get("rel") == "self"
            and _AP_TYPES in str(link.get("type"))
            and isinstance(link.get("href"), str)
        ):
            return str(link["href"])
    return None


_PROFILE_PAGE = "http://webfinger.net/rel/profile-page"


def _full_acct(acct: str, url: str, local_domain: str | None) -> str:
    """`acct` with a domain: local accounts come back as a bare username."""
    if "@" in acct:
        return acct
    return f"{acct}@{local_domain or _host(url)}"


def _account(data: dict[str, Any], domain: str) -> MastodonAccount | None:
    """A MastodonAccount from an Account entity found when asking for `...@domain`."""
    acct, url = data.get("acct"), data.get("url")
    if not isinstance(acct, str) or not acct:
        return None
    url = url if isinstance(url, str) else ""
    local = "@" not in acct  # a local account of the instance: its domain is the one asked
    moved_to = None
    moved = data.get("moved")
    if isinstance(moved, dict) and isinstance(moved.get("acct"), str):
        moved_url = moved.get("url") if isinstance(moved.get("url"), str) else ""
        moved_to = _full_acct(moved["acct"], str(moved_url), domain if local else None)
    display = data.get("display_name")
    return MastodonAccount(
        acct=_full_acct(acct, url, domain),
        url=url,
        display_name=display if isinstance(display, str) and display else None,
        note=html_to_text(str(data.get("note") or "")) or None,
        moved_to=moved_to,
        locked=bool(data.get("locked")),
        bot=bool(data.get("bot")),
    )
