"""Bluesky: connect with an app password, keep only the (encrypted) session, restore it.

The handle may live on any PDS: handle -> DID (the operator's resolver, else DNS TXT /
``.well-known``, else the public AppView), DID -> DID document (PLC directory or did:web)
-> the PDS service endpoint, where we log in (`chatbot.networks.atproto_identity`). Every
request goes through the egress policy, so the app password reaches only the PDS the DID
document names, and only when that PDS is not internal. The handle shown and stored is
the one the DID document claims AND that resolves back to the DID; otherwise the DID
(the PDS's own word is never taken). The app password is used once and never stored;
the exported session string is stored encrypted and replaced whenever atproto refreshes
it (session-change callback).
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
from atproto import AsyncClient, Session, SessionEvent
from atproto_client.exceptions import (
    AtProtocolError,
    BadRequestError,
    NetworkError,
    RateLimitExceededError,
    UnauthorizedError,
)

from chatbot.accounts import AccountExpired, ConnectFailed, ServiceUnavailable
from chatbot.networks.atproto_identity import IdentityResolver, IdentityUnavailable
from chatbot.networks.egress import Egress, http_client
from chatbot.networks.egress.atproto import atproto_request
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
    handle: str  # verified both ways, else the DID
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


def identity_resolver(services: Services) -> IdentityResolver:
    settings = services.settings
    return IdentityResolver(
        services.egress,
        plc_url=settings.bluesky_plc_url,
        resolver_url=settings.bluesky_resolver_url,
        appview_url=settings.bluesky_appview_url,
        timeout=TIMEOUT_S,
    )


async def resolve(services: Services, handle: str) -> Identity:
    """Find the account's DID, PDS and verified handle. Raises `ConnectFailed`
    (unknown_handle, service_down)."""
    async with identity_resolver(services) as resolver:
        try:
            did = handle if handle.startswith("did:") else await resolver.resolve_handle(handle)
        except IdentityUnavailable:
            raise ConnectFailed("service_down") from None
        if did is None:
            raise ConnectFailed("unknown_handle")
        try:
            doc = await resolver.did_document(did)
        except IdentityUnavailable as exc:
            log.info("DID document unavailable: %s", exc)
            raise ConnectFailed("unknown_handle") from None
        if doc is None or (doc.pds is None and not doc.pds_refused):
            raise ConnectFailed("unknown_handle")
        if doc.pds is None:  # an internal or non-https PDS: as if it did not answer
            raise ConnectFailed("service_down")
        shown = await resolver.verified_handle(doc) or did
    return Identity(handle=shown, did=did, pds_url=doc.pds)


async def connect(services: Services, user_id: int, handle: str, password: str) -> Identity:
    """Log in with an app password and store the session, encrypted.

    Raises `ConnectFailed`: unknown_handle, wrong_password, main_password (the account's
    own password was given: refused, the session is discarded), rate_limited,
    service_down. Nothing is stored on failure.
    """
    identity = await resolve(services, handle)
    client = _client(identity.pds_url, services.egress)
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
    if Session.decode(session).did != identity.did:
        # the PDS logged us into another identity than the DID document's: never keep it
        log.info("a PDS answered createSession for another DID")
        raise ConnectFailed("service_down")
    if _jwt_scope(Session.decode(session).access_jwt) == "com.atproto.access":
        # a full-access session: the user gave their real password; do not keep it
        await _delete_session(identity.pds_url, session, services.egress)
        raise ConnectFailed("main_password")
    # the handle is the verified one (or the DID), never the one the PDS answered
    await services.accounts.save(
        user_id, NETWORK, handle=identity.handle, did=identity.did,
        service_url=identity.pds_url, secret=session,
    )  # fmt: skip
    log.info("user %s connected a Bluesky account", user_id)
    return identity


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
    client = _client(account.service_url, services.egress)

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
        await _delete_session(account.service_url, account.secret, services.egress)


async def _delete_session(pds_url: str, session_string: str, egress: Egress) -> None:
    try:
        refresh = Session.decode(session_string).refresh_jwt
        async with http_client(egress, timeout=TIMEOUT_S) as http:
            response = await http.post(
                f"{pds_url}/xrpc/com.atproto.server.deleteSession",
                headers={"Authorization": f"Bearer {refresh}"},
            )
        response.raise_for_status()
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        log.info("could not end a Bluesky session: %s", type(exc).__name__)


def _client(base_url: str, egress: Egress) -> AsyncClient:
    """An atproto client whose every request goes through the egress policy."""
    return AsyncClient(base_url=base_url, request=atproto_request(egress, TIMEOUT_S))


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
