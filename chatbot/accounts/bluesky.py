"""Bluesky: connect with an app password, keep only the (encrypted) session, restore it.

The handle may live on any PDS: handle -> DID (``resolveHandle`` on the configured
resolver, else DNS / ``.well-known``, else the public AppView), DID -> DID document (PLC
directory or did:web) -> the PDS service endpoint, where we log in. The app password is
used once and never stored; the exported session string is stored encrypted and replaced
whenever atproto refreshes it (session-change callback).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
from atproto import AsyncClient, AsyncIdResolver, AsyncRequest, Session, SessionEvent
from atproto_client.exceptions import (
    AtProtocolError,
    BadRequestError,
    NetworkError,
    RateLimitExceededError,
    UnauthorizedError,
)

from chatbot.accounts import AccountExpired, ConnectFailed, ServiceUnavailable
from chatbot.secrets import SecretDecryptionError

if TYPE_CHECKING:
    from chatbot.services import Services

log = logging.getLogger(__name__)

NETWORK = "bluesky"
TIMEOUT_S = 20.0
HANDLE = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
APP_PASSWORD = re.compile(r"^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$")


@dataclass(frozen=True)
class Identity:
    handle: str
    did: str
    pds_url: str


def normalize_handle(text: str) -> str | None:
    """``@Alice.bsky.social`` -> ``alice.bsky.social``; None when it cannot be a handle."""
    handle = text.strip().lstrip("@").lower()
    if handle.startswith("did:"):
        return handle if re.fullmatch(r"did:(plc|web):[a-z0-9._:%-]+", handle) else None
    return handle if HANDLE.match(handle) and len(handle) <= 253 else None


def looks_like_app_password(text: str) -> bool:
    return bool(APP_PASSWORD.match(text.strip().lower()))


async def resolve(services: Services, handle: str) -> Identity:
    """Find the account's DID and PDS. Raises `ConnectFailed` (unknown_handle, service_down)."""
    settings = services.settings
    did = handle if handle.startswith("did:") else await _resolve_handle(services, handle)
    resolver = AsyncIdResolver(plc_url=settings.bluesky_plc_url, timeout=TIMEOUT_S)
    try:
        data = await resolver.did.resolve_atproto_data(did)
    except (AtProtocolError, httpx.HTTPError, ValueError, KeyError) as exc:
        log.info("DID document of %s unavailable: %s", did, type(exc).__name__)
        raise ConnectFailed("unknown_handle") from None
    if not data.pds:
        raise ConnectFailed("unknown_handle")
    return Identity(handle=data.handle or handle, did=did, pds_url=data.pds.rstrip("/"))


async def _resolve_handle(services: Services, handle: str) -> str:
    settings = services.settings
    if settings.bluesky_resolver_url:
        return await _xrpc_resolve(settings.bluesky_resolver_url, handle)
    try:  # DNS TXT _atproto.<handle>, then https://<handle>/.well-known/atproto-did
        did = await AsyncIdResolver(timeout=TIMEOUT_S).handle.resolve(handle)
    except Exception as exc:  # the resolver's DNS and HTTP errors vary; fall back below
        log.info("direct handle resolution failed: %s", type(exc).__name__)
        did = None
    return did or await _xrpc_resolve(settings.bluesky_appview_url, handle)


async def _xrpc_resolve(base_url: str, handle: str) -> str:
    url = base_url.rstrip("/") + "/xrpc/com.atproto.identity.resolveHandle"
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as http:
            response = await http.get(url, params={"handle": handle})
    except httpx.HTTPError:
        raise ConnectFailed("service_down") from None
    if response.status_code == 400:
        raise ConnectFailed("unknown_handle")
    if response.status_code == 429:
        raise ConnectFailed("rate_limited")
    try:
        response.raise_for_status()
        return str(response.json()["did"])
    except (httpx.HTTPError, ValueError, KeyError):
        raise ConnectFailed("service_down") from None


async def connect(services: Services, user_id: int, handle: str, password: str) -> Identity:
    """Log in with an app password and store the session, encrypted.

    Raises `ConnectFailed`: unknown_handle, wrong_password, main_password (the account's
    own password was given: refused, the session is discarded), rate_limited,
    service_down. Nothing is stored on failure.
    """
    identity = await resolve(services, handle)
    client = _client(identity.pds_url)
    try:
        return await _login(services, user_id, client, identity, password)
    finally:
        await client.request.close()


async def _login(
    services: Services, user_id: int, client: AsyncClient, identity: Identity, password: str
) -> Identity:
    try:
        await client.login(identity.did, password, fetch_bsky_profile=False)
    except RateLimitExceededError:
        raise ConnectFailed("rate_limited") from None
    except (UnauthorizedError, BadRequestError) as exc:
        log.info("Bluesky login refused for %s: %s", identity.did, _error_name(exc))
        raise ConnectFailed("wrong_password") from None
    except (NetworkError, AtProtocolError, httpx.HTTPError):
        raise ConnectFailed("service_down") from None
    session = client.export_session_string()
    if _jwt_scope(Session.decode(session).access_jwt) == "com.atproto.access":
        # a full-access session: the user gave their real password; do not keep it
        await _delete_session(identity.pds_url, session)
        raise ConnectFailed("main_password")
    handle = Session.decode(session).handle or identity.handle
    await services.accounts.save(
        user_id, NETWORK, handle=handle, did=identity.did, service_url=identity.pds_url,
        secret=session,
    )  # fmt: skip
    log.info("user %s connected a Bluesky account on %s", user_id, identity.pds_url)
    return Identity(handle=handle, did=identity.did, pds_url=identity.pds_url)


async def bluesky_client(services: Services, user_id: int) -> AsyncClient | None:
    """A logged-in client restored from the stored session; None when not connected.

    The caller owns the client: ``await client.request.close()`` when done.

    Each refresh of the session is persisted (encrypted). Raises `AccountExpired` when
    the session cannot be refreshed (app password revoked, session expired, new key):
    the user must /connect again; `ServiceUnavailable` when the PDS does not answer.
    """
    try:
        account = await services.accounts.get(user_id, NETWORK)
    except SecretDecryptionError:
        raise AccountExpired(NETWORK) from None
    if account is None:
        return None
    if account.secret.startswith("{"):  # an OAuth session (issue 16): same client interface
        from chatbot.oauth.client import session_client

        return await session_client(services, user_id, account.secret, account.handle)
    client = _client(account.service_url)

    async def persist(event: SessionEvent, session: Session) -> None:
        if event in (SessionEvent.CREATE, SessionEvent.REFRESH):
            await services.accounts.update_secret(user_id, NETWORK, session.encode())

    client.on_session_change(persist)
    try:
        await client.login(session_string=account.secret, fetch_bsky_profile=False)
        await client.com.atproto.server.get_session()  # refreshes the session when due
    except (UnauthorizedError, BadRequestError, ValueError) as exc:
        log.info("Bluesky session of user %s no longer works: %s", user_id, _error_name(exc))
        await client.request.close()
        raise AccountExpired(NETWORK) from None
    except (NetworkError, AtProtocolError, httpx.HTTPError):
        await client.request.close()
        raise ServiceUnavailable(NETWORK) from None
    return client


async def revoke(services: Services, user_id: int) -> None:
    """End the stored session on its PDS (best effort); the caller deletes the row."""
    try:
        account = await services.accounts.get(user_id, NETWORK)
    except SecretDecryptionError:
        return
    if account is not None and account.secret.startswith("{"):  # OAuth (issue 16)
        from chatbot.oauth.client import end_session

        await end_session(services, account.secret)
    elif account is not None:
        await _delete_session(account.service_url, account.secret)


async def _delete_session(pds_url: str, session_string: str) -> None:
    try:
        refresh = Session.decode(session_string).refresh_jwt
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as http:
            response = await http.post(
                f"{pds_url}/xrpc/com.atproto.server.deleteSession",
                headers={"Authorization": f"Bearer {refresh}"},
            )
        response.raise_for_status()
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        log.info("could not end a Bluesky session: %s", type(exc).__name__)


def _client(base_url: str) -> AsyncClient:
    return AsyncClient(base_url=base_url, request=AsyncRequest(timeout=TIMEOUT_S))


def _jwt_scope(token: str) -> str | None:
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return None
    scope = data.get("scope") if isinstance(data, dict) else None
    return scope if isinstance(scope, str) else None


def _error_name(exc: Exception) -> str:
    """The XRPC error name only (never a message that could echo request data)."""
    response = getattr(exc, "response", None)
    content = getattr(response, "content", None)
    return str(getattr(content, "error", None) or type(exc).__name__)
