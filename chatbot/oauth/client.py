"""An `atproto.AsyncClient` over an OAuth session: the writers' code does not change.

The atproto client sends every XRPC call through its request object; here that object
owns an httpx client (from `oauth_http`) whose `DpopAuth` puts ``Authorization: DPoP
<access token>`` and a fresh DPoP proof on each request, refreshes the tokens before
they expire, and retries once when the PDS answers ``use_dpop_nonce`` (with its nonce)
or ``invalid_token`` (after a refresh). The client has no atproto session of its own;
`me` carries the account's DID and handle for the writers.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

import httpx
from atproto import AsyncClient, AsyncRequest, models
from atproto_client.request import RequestBase

from chatbot.oauth import OAuthError, jose
from chatbot.oauth.http import oauth_http, origin
from chatbot.oauth.tokens import TokenSet, refresh

if TYPE_CHECKING:
    from chatbot.services import Services

log = logging.getLogger(__name__)


class SessionOver(Exception):
    """The OAuth session cannot be refreshed any more (revoked, expired, key gone)."""


class DpopAuth(httpx.Auth):
    """DPoP-bound access token on every request; refresh and nonce retries as needed."""

    requires_response_body = True

    def __init__(self, services: Services, user_id: int, tokens: TokenSet) -> None:
        self.services = services
        self.user_id = user_id
        self.tokens = tokens

    async def _refresh(self) -> None:
        try:
            self.tokens = await refresh(self.services, self.user_id, self.tokens)
        except OAuthError as exc:
            if exc.reason == "invalid_grant" or exc.reason == "client_key_gone":
                raise SessionOver(exc.reason) from None
            raise httpx.ConnectError(f"token refresh failed: {exc.reason}") from None

    def _sign(self, request: httpx.Request) -> None:
        server = origin(str(request.url))
        request.headers["Authorization"] = f"DPoP {self.tokens.access_token}"
        request.headers["DPoP"] = jose.dpop_proof(
            self.tokens.dpop_key,
            request.method,
            str(request.url),
            nonce=jose.NONCES.get(server),
            access_token=self.tokens.access_token,
        )

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if self.tokens.due():
            await self._refresh()
        refreshed = nonce_retried = False
        while True:
            self._sign(request)
            response = yield request
            jose.NONCES.put(origin(str(request.url)), response.headers.get("DPoP-Nonce"))
            error = _auth_error(response)
            if error == "use_dpop_nonce" and not nonce_retried:
                nonce_retried = True
                continue
            if error == "invalid_token" and not refreshed:
                refreshed = True
                await self._refresh()
                continue
            return


def _auth_error(response: httpx.Response) -> str | None:
    """The OAuth error of a 400/401 answer (WWW-Authenticate, else the JSON body)."""
    if response.status_code not in (400, 401):
        return None
    header = response.headers.get("WWW-Authenticate", "")
    for name in ("use_dpop_nonce", "invalid_token"):
        if f'error="{name}"' in header:
            return name
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None
    if error == "use_dpop_nonce":
        return "use_dpop_nonce"
    if error in ("invalid_token", "InvalidToken", "ExpiredToken") and response.status_code == 401:
        return "invalid_token"
    return None


class OAuthRequest(AsyncRequest):  # type: ignore[misc]  # atproto ships no type hints
    """atproto's async request layer over a DPoP-authenticated httpx client."""

    def __init__(self, services: Services, auth: DpopAuth) -> None:
        RequestBase.__init__(self)
        self._services = services
        self._auth = auth
        self._client = oauth_http(services.settings, egress=services.egress, auth=auth)

    def _new_instance(self) -> OAuthRequest:
        return OAuthRequest(self._services, self._auth)

    async def _send_request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return await super()._send_request(method, url, **kwargs)  # type: ignore[no-any-return]
        except SessionOver:  # what an expired app-password session looks like to callers
            from atproto_client.exceptions import UnauthorizedError
            from atproto_client.models.common import XrpcError
            from atproto_client.request import Response

            content = XrpcError(error="ExpiredToken", message="the OAuth session has ended")
            raise UnauthorizedError(Response(False, 401, content, {})) from None


def oauth_client(services: Services, user_id: int, tokens: TokenSet, handle: str) -> AsyncClient:
    """A client of the user's PDS acting through their OAuth session."""
    auth = DpopAuth(services, user_id, tokens)
    client = AsyncClient(base_url=tokens.pds_url, request=OAuthRequest(services, auth))
    client.me = models.AppBskyActorDefs.ProfileViewDetailed(did=tokens.did, handle=handle)
    return client


async def session_client(
    services: Services, user_id: int, secret: str, handle: str
) -> AsyncClient:
    """The client of a stored OAuth session, refreshed when due.

    Raises `AccountExpired` when the session is over, `ServiceUnavailable` when the
    authorization server does not answer (the same contract as app-password sessions).
    """
    from chatbot.accounts import AccountExpired, ServiceUnavailable

    try:
        tokens = TokenSet.decode(secret)
        if tokens.due():
            tokens = await refresh(services, user_id, tokens)
    except (ValueError, TypeError):
        raise AccountExpired("bluesky") from None
    except OAuthError as exc:
        if exc.reason in ("invalid_grant", "client_key_gone"):
            raise AccountExpired("bluesky") from None
        raise ServiceUnavailable("bluesky") from None
    return oauth_client(services, user_id, tokens, handle)


async def end_session(services: Services, secret: str) -> None:
    """Revoke a stored OAuth session at its authorization server (best effort)."""
    from chatbot.oauth.tokens import revoke

    try:
        tokens = TokenSet.decode(secret)
    except (ValueError, TypeError):
        return
    await revoke(services, tokens)
