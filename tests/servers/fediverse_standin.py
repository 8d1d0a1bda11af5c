"""A small fediverse server stand-in for what ``mastodon-mock`` cannot do.

mastodon-mock always answers ``"moved": null``, federates nothing and is only Mastodon,
so these are exercised here, with Mastodon's shapes:

* account migration ("Moved to") and WebFinger + ActivityPub actor resolution:
  ``/api/v1/accounts/lookup`` (Account entities with ``moved``), ``/.well-known/webfinger``
  (JRD with ``self`` and profile-page links) and ``/users/<name>`` (an ActivityPub actor
  with ``movedTo``, ``manuallyApprovesFollowers``, ``type``);
* remote accounts: ``/api/v2/search?resolve=true`` asks WebFinger at the server
  `federated` names for the account's domain (e.g. the Threads stand-in for threads.net)
  and keeps the account it finds, as ``user@domain``, to be followed like a local one;
* ``/connect mastodon`` and a follow job against other software, answering the way each
  does (`fediverse_flavours`: Mastodon, GoToSocial, Akkoma, Pleroma, the Misskey family,
  and servers that refuse): NodeInfo, ``/api/v1/instance``, the OAuth metadata, app
  registration, the authorization page (`approve` plays the user's browser), the token
  and revocation endpoints, ``verify_credentials``, relationships and follows, each API
  call checked against the token's scopes in that software's rules.

Bound to 127.0.0.1; its domain is ``127.0.0.1:PORT``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from aiohttp import web

from tests.servers.fediverse_api import MastodonApi, OAuthState
from tests.servers.fediverse_flavours import MASTODON, Flavour


@dataclass
class FediAccount:
    username: str
    display_name: str = ""
    note_html: str = ""
    locked: bool = False
    bot: bool = False
    moved_to: str | None = None  # a username on this server
    secure_mode: bool = False  # refuse unsigned actor fetches (401), like authorized fetch


class FediverseStandin:
    def __init__(self, flavour: Flavour = MASTODON) -> None:
        self.flavour = flavour
        self.accounts: dict[str, FediAccount] = {}
        self.base = ""
        self.hits: list[str] = []
        self.api = MastodonApi(self)
        self.federated: dict[str, str] = {}  # domain -> base URL answering its WebFinger

    @property
    def oauth(self) -> OAuthState:
        """Apps, codes, tokens and follows, as the server holds them."""
        return self.api.state

    def approve(self, link: str, username: str) -> tuple[int, str]:
        """The user's browser: sign in as `username`, allow; (status, the page shown)."""
        return self.api.approve(link, username)

    def add(self, account: FediAccount) -> None:
        self.accounts[account.username] = account

    async def fetch_remote(self, username: str, domain: str) -> FediAccount | None:
        """WebFinger ``username@domain`` at its server; the account when it answers."""
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(
                f"{self.federated[domain]}/.well-known/webfinger",
                params={"resource": f"acct:{username}@{domain}"},
            )
        if response.status_code != 200:
            return None
        acct = f"{username}@{domain}"
        self.accounts[acct] = FediAccount(acct)
        return self.accounts[acct]

    @property
    def domain(self) -> str:
        return self.base.split("://", 1)[1]

    def entity(self, account: FediAccount) -> dict[str, object]:
        moved = self.accounts.get(account.moved_to) if account.moved_to else None
        return {
            "id": str(abs(hash(account.username)) % 10**9),
            "username": account.username,
            "acct": account.username,  # local accounts come without a domain
            "display_name": account.display_name,
            "locked": account.locked,
            "bot": account.bot,
            "note": account.note_html,
            "url": f"{self.base}/@{account.username}",
            "moved": self.entity(moved) if moved else None,
        }

    async def lookup(self, request: web.Request) -> web.Response:
        self.hits.append(request.path)
        username, _, domain = request.query.get("acct", "").lstrip("@").partition("@")
        account = self.accounts.get(username)
        if account is None or domain not in ("", self.domain):
            return web.json_response({"error": "Record not found"}, status=404)
        return web.json_response(self.entity(account))

    async def webfinger(self, request: web.Request) -> web.Response:
        self.hits.append(request.path)
        resource = request.query.get("resource", "").removeprefix("acct:")
        username, _, domain = resource.partition("@")
        account = self.accounts.get(username)
        if account is None or domain != self.domain:
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response(
            {
                "subject": f"acct:{username}@{self.domain}",
                "aliases": [f"{self.base}/@{username}", f"{self.base}/users/{username}"],
                "links": [
                    {
                        "rel": "http://webfinger.net/rel/profile-page",
                        "type": "text/html",
                        "href": f"{self.base}/@{username}",
                    },
                    {
                        "rel": "self",
                        "type": "application/activity+json",
                        "href": f"{self.base}/users/{username}",
                    },
                ],
            },
            content_type="application/jrd+json",
        )

    async def actor(self, request: web.Request) -> web.Response:
        self.hits.append(request.path)
        account = self.accounts.get(request.match_info["name"])
        if account is None:
            return web.json_response({"error": "not found"}, status=404)
        if account.secure_mode:
            return web.json_response({"error": "Request not signed"}, status=401)
        actor: dict[str, object] = {
            "@context": ["https://www.w3.org/ns/activitystreams"],
            "id": f"{self.base}/users/{account.username}",
            "type": "Service" if account.bot else "Person",
            "preferredUsername": account.username,
            "name": account.display_name,
            "summary": account.note_html,
            "url": f"{self.base}/@{account.username}",
            "manuallyApprovesFollowers": account.locked,
        }
        if account.moved_to:
            actor["movedTo"] = f"{self.base}/users/{account.moved_to}"
        return web.json_response(actor, content_type="application/activity+json")

    @asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        app = web.Application()
        app.router.add_get("/api/v1/accounts/lookup", self.lookup)
        app.router.add_get("/.well-known/webfinger", self.webfinger)
        app.router.add_get("/users/{name}", self.actor)
        self.api.add_routes(app.router)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        try:
            self.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
            yield self.base
        finally:
            await runner.cleanup()
