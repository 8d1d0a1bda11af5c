"""The Mastodon API and OAuth side of `FediverseStandin`, answering like its flavour.

NodeInfo, ``/api/v1/instance``, the OAuth metadata, app registration, the authorization
page (after sign-in: `approve` plays the browser), the token and revocation endpoints,
``verify_credentials``, relationships and follows, each API call checked against the
token's scopes in the flavour's rules (`fediverse_flavours`).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import httpx
from aiohttp import web

from tests.servers.fediverse_flavours import INVALID_SCOPE

if TYPE_CHECKING:
    from tests.servers.fediverse_standin import FediverseStandin

OOB = "urn:ietf:wg:oauth:2.0:oob"


@dataclass
class App:
    client_id: str
    secret: str
    scopes: set[str]
    redirect: str


@dataclass
class Grant:
    """An authorization code, then the token it became."""

    app: App
    user: str
    scopes: set[str]
    challenge: str | None = None
    used: bool = False


@dataclass
class OAuthState:
    apps: dict[str, App] = field(default_factory=dict)
    codes: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, Grant] = field(default_factory=dict)
    follows: dict[str, set[str]] = field(default_factory=dict)  # user -> usernames followed


class MastodonApi:
    def __init__(self, server: FediverseStandin) -> None:
        self.server = server
        self.state = OAuthState()

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/.well-known/nodeinfo", self.nodeinfo_links)
        router.add_get("/nodeinfo/2.0", self.nodeinfo)
        router.add_get("/api/v1/instance", self.instance)
        router.add_get("/.well-known/oauth-authorization-server", self.oauth_metadata)
        router.add_post("/api/v1/apps", self.register_app)
        router.add_post("/oauth/authorize", self.authorize)
        router.add_post("/oauth/token", self.token)
        router.add_post("/oauth/revoke", self.revoke)
        router.add_get("/api/v1/accounts/verify_credentials", self.verify_credentials)
        router.add_get("/api/v1/accounts/relationships", self.relationships)
        router.add_post("/api/v1/accounts/{id}/follow", self.follow)
        router.add_get("/api/v2/search", self.search)

    async def nodeinfo_links(self, request: web.Request) -> web.Response:
        self.server.hits.append(request.path)
        if self.server.flavour.software is None:
            return web.json_response({"error": "not found"}, status=404)
        rel = "http://nodeinfo.diaspora.software/ns/schema/2.0"
        href = f"{self.server.base}/nodeinfo/2.0"
        return web.json_response({"links": [{"rel": rel, "href": href}]})

    async def nodeinfo(self, request: web.Request) -> web.Response:
        self.server.hits.append(request.path)
        software = {"name": self.server.flavour.software, "version": self.server.flavour.version}
        return web.json_response(
            {
                "version": "2.0",
                "software": software,
                "protocols": ["activitypub"],
                "openRegistrations": False,
            }
        )

    async def instance(self, request: web.Request) -> web.Response:
        self.server.hits.append(request.path)
        if self.server.flavour.instance_version is None:
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response({"uri": self.server.domain, "title": self.server.flavour.key,
                                  "version": self.server.flavour.instance_version})  # fmt: skip

    async def oauth_metadata(self, request: web.Request) -> web.Response:
        self.server.hits.append(request.path)
        if not self.server.flavour.oauth_metadata:
            return web.json_response({"error": "not found"}, status=404)
        base = self.server.base
        return web.json_response({
            "issuer": base, "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token", "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": sorted(self.server.flavour.known_scopes or ()),
        })  # fmt: skip

    async def register_app(self, request: web.Request) -> web.Response:
        self.server.hits.append(request.path)
        form = await request.post()
        scopes = set(str(form.get("scopes", "read")).replace(",", " ").split())
        known = self.server.flavour.known_scopes
        if self.server.flavour.apps_closed:
            return web.json_response({"error": "This server does not accept new apps"}, status=403)
        if not self.server.flavour.oob and form.get("redirect_uris") == OOB:
            error = "Validation failed: Redirect URI must be an absolute URI."
            return web.json_response({"error": error}, status=422)
        if known is not None and not scopes <= known:
            error = "Validation failed: Scopes are invalid"
            return web.json_response({"error": error}, status=422)
        app = App(secrets.token_hex(8), secrets.token_hex(16), scopes, str(form["redirect_uris"]))
        self.state.apps[app.client_id] = app
        return web.json_response(
            {
                "id": "1",
                "name": str(form.get("client_name", "")),
                "client_id": app.client_id,
                "client_secret": app.secret,
            }
        )

    async def authorize(self, request: web.Request) -> web.Response:
        """The page after the user signed in (`username`) and pressed Allow."""
        self.server.hits.append(request.path)
        form = await request.post()
        app = self.state.apps.get(str(form.get("client_id", "")))
        wanted = set(str(form.get("scope", "read")).replace(",", " ").split())
        if app is None or form.get("redirect_uri") != app.redirect:
            return web.Response(status=400, text="<p>Client authentication failed</p>")
        refused = wanted & self.server.flavour.page_refuses
        if refused or not all(self.server.flavour.permits(app.scopes, s) for s in wanted):
            return web.Response(status=400, text=f"<p>{INVALID_SCOPE}</p>")
        user = str(form["username"])
        code = secrets.token_urlsafe(24)
        challenge = str(form.get("code_challenge") or "") or None
        self.state.codes[code] = Grant(app, user, wanted, challenge)
        page = self.server.flavour.code_page(code, " ".join(sorted(wanted)), user)
        return web.Response(text=page, content_type="text/html")

    async def token(self, request: web.Request) -> web.Response:
        self.server.hits.append(request.path)
        form = await request.post()
        grant = self.state.codes.get(str(form.get("code", "")))
        app = self.state.apps.get(str(form.get("client_id", "")))
        if app is None or app.secret != form.get("client_secret"):
            return web.json_response({"error": "invalid_client"}, status=401)
        if grant is None or grant.used or grant.app is not app:
            return web.json_response({"error": "invalid_grant"}, status=400)
        if grant.challenge and grant.challenge != _s256(str(form.get("code_verifier", ""))):
            return web.json_response({"error": "invalid_grant"}, status=400)
        asked = set(str(form.get("scope") or "read").split())
        if self.server.flavour.token_checks_scope and not all(
            self.server.flavour.permits(app.scopes, s) for s in asked
        ):
            return web.json_response({"error": "requested scope was not covered"}, status=403)
        grant.used = True
        access = secrets.token_urlsafe(32)
        self.state.tokens[access] = grant
        return web.json_response(
            {
                "access_token": access,
                "token_type": "Bearer",
                "scope": " ".join(sorted(grant.scopes)),
                "created_at": 0,
            }
        )

    async def revoke(self, request: web.Request) -> web.Response:
        self.server.hits.append(request.path)
        self.state.tokens.pop(str((await request.post()).get("token", "")), None)
        return web.json_response({})

    def _granted(self, request: web.Request, scope: str) -> str | None:
        """The user of the request's token, when its scopes cover `scope`."""
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        grant = self.state.tokens.get(token)
        if grant is None:
            return None
        flavour = self.server.flavour
        ok = not flavour.enforces_scopes or flavour.permits(grant.scopes, scope)
        return grant.user if ok else None

    async def verify_credentials(self, request: web.Request) -> web.Response:
        self.server.hits.append(request.path)
        user = self._granted(request, "read:accounts")
        if user is None or user not in self.server.accounts:
            return web.json_response({"error": "The access token is invalid"}, status=401)
        return web.json_response(self.server.entity(self.server.accounts[user]))

    async def relationships(self, request: web.Request) -> web.Response:
        self.server.hits.append(request.path)
        user = self._granted(request, "read:follows")
        if user is None:
            return web.json_response({"error": "The access token is invalid"}, status=401)
        followed = self.state.follows.get(user, set())
        by_id = {self.server.entity(a)["id"]: a for a in self.server.accounts.values()}
        ids = [i for i in request.query.getall("id[]", []) if i in by_id]
        return web.json_response([
            {"id": i, "following": by_id[i].username in followed, "requested": False,
             "blocking": False, "muting": False} for i in ids
        ])  # fmt: skip

    async def follow(self, request: web.Request) -> web.Response:
        self.server.hits.append(request.path)
        user = self._granted(request, "write:follows")
        if user is None:
            return web.json_response({"error": "This action is outside the authorized scopes"},
                                     status=403)  # fmt: skip
        by_id = {self.server.entity(a)["id"]: a for a in self.server.accounts.values()}
        target = by_id.get(request.match_info["id"])
        if target is None:
            return web.json_response({"error": "Record not found"}, status=404)
        self.state.follows.setdefault(user, set()).add(target.username)
        return web.json_response({"id": request.match_info["id"], "following": not target.locked,
                                  "requested": target.locked})  # fmt: skip

    async def search(self, request: web.Request) -> web.Response:
        """Accounts by address; ``resolve=true`` fetches an unknown remote one by WebFinger
        at the server `federated` names for its domain (as Mastodon does; signed-in only)."""
        self.server.hits.append(request.path)
        user = self._granted(request, "read:search")
        if user is None:
            return web.json_response({"error": "The access token is invalid"}, status=401)
        wanted = request.query.get("q", "").strip().lstrip("@").lower()
        username, _, domain = wanted.partition("@")
        local = domain in ("", self.server.domain)
        account = self.server.accounts.get(username if local else wanted)
        resolve = request.query.get("resolve") in ("true", "1")
        if account is None and resolve and domain in self.server.federated:
            account = await self.server.fetch_remote(username, domain)
        found = [self.server.entity(account)] if account is not None else []
        return web.json_response({"accounts": found, "statuses": [], "hashtags": []})

    def approve(self, link: str, username: str) -> tuple[int, str]:
        """The user's browser: sign in as `username`, allow; (status, the page shown)."""
        query = {key: values[0] for key, values in parse_qs(urlsplit(link).query).items()}
        form = {**query, "username": username}
        response = httpx.post(f"{self.server.base}/oauth/authorize", data=form, timeout=30)
        return response.status_code, response.text


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
