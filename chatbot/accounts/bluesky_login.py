"""Logging in to Bluesky with an app password: where the password may go, what is kept.

* A handle or a DID is resolved first (`bluesky_identity`): the password goes only to
  the PDS the DID document names (threat model S4), with the DID as login identifier.
* An e-mail address names no PDS. The login goes to the operator's entryway
  (``CHATBOT_BLUESKY_ENTRYWAY_URL``, ``https://bsky.social`` by default: it logs in every
  account Bluesky hosts, whichever of its PDSes holds it), trusted like the PLC
  directory. The session it returns names a DID; that DID's document (read from the PLC
  directory, not from the answer) must name the entryway itself, or a PDS that accepts
  the session (``getSession`` answers the same DID): an entryway fronts its own PDSes
  only. Otherwise the session is ended there and nothing is kept.

Then, whichever the identifier: the session must belong to that DID, must not be a
full-access session (the account's real password: ended and refused), and is stored
with the DID document's PDS as its endpoint, never one a server's answer named. The
app password is used once and never stored; the e-mail address is neither stored nor
logged.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import TYPE_CHECKING

import httpx
from atproto import AsyncClient, Session
from atproto_client.exceptions import (
    AtProtocolError,
    BadRequestError,
    NetworkError,
    RateLimitExceededError,
    UnauthorizedError,
)

from chatbot.accounts import ConnectFailed
from chatbot.accounts.bluesky_identity import TIMEOUT_S, Identity, resolve
from chatbot.accounts.identifiers import Identifier
from chatbot.networks.egress import Egress, http_client
from chatbot.networks.egress.atproto import atproto_request

if TYPE_CHECKING:
    from chatbot.services import Services

log = logging.getLogger(__name__)

NETWORK = "bluesky"
FULL_ACCESS = "com.atproto.access"  # the scope of a session opened with the real password


async def log_in(
    services: Services, user_id: int, identifier: Identifier, password: str
) -> Identity:
    """Open a session with an app password and store it, encrypted.

    Raises `ConnectFailed`: unknown_handle, wrong_password, email_refused, pds_mismatch,
    main_password, rate_limited, service_down. Nothing is stored on failure.
    """
    if identifier.is_email:
        entryway = services.settings.bluesky_entryway_url.rstrip("/")
        session = await _create_session(
            entryway, identifier.value, password, services.egress, refused="email_refused"
        )
        identity = await _home_of(services, session, entryway)
        return await _keep(services, user_id, identity, session, opened_at=entryway)
    identity = await resolve(services, identifier.value)
    session = await _create_session(
        identity.pds_url, identity.did, password, services.egress, refused="wrong_password"
    )
    return await _keep(services, user_id, identity, session, opened_at=identity.pds_url)


async def _create_session(
    base_url: str, login: str, password: str, egress: Egress, *, refused: str
) -> str:
    """``createSession`` at `base_url`; the exported session string."""
    client = client_for(base_url, egress)
    try:
        await client.login(login, password, fetch_bsky_profile=False)
        return str(client.export_session_string())
    except RateLimitExceededError:
        raise ConnectFailed("rate_limited") from None
    except (UnauthorizedError, BadRequestError) as exc:
        log.info("Bluesky login refused: %s", error_name(exc))
        raise ConnectFailed(refused) from None
    except (NetworkError, AtProtocolError, httpx.HTTPError):
        raise ConnectFailed("service_down") from None
    finally:
        await client.request.close()


async def _home_of(services: Services, session: str, entryway: str) -> Identity:
    """The identity of a session opened at the entryway, when its DID document names a
    PDS the session belongs to (see the module doc); the session is ended otherwise."""
    did = Session.decode(session).did
    try:
        identity = await resolve(services, did)
        if identity.pds_url.rstrip("/") == entryway or await _accepted_at(
            identity.pds_url, session, did, services.egress
        ):
            return identity
    except ConnectFailed:
        pass
    log.info("a session from the entryway belongs to no PDS its DID document names")
    await delete_session(entryway, session, services.egress)
    raise ConnectFailed("pds_mismatch")


async def _accepted_at(pds_url: str, session: str, did: str, egress: Egress) -> bool:
    access = Session.decode(session).access_jwt
    try:
        async with http_client(egress, timeout=TIMEOUT_S) as http:
            response = await http.get(
                f"{pds_url}/xrpc/com.atproto.server.getSession",
                headers={"Authorization": f"Bearer {access}"},
            )
        return response.status_code == 200 and response.json().get("did") == did
    except (httpx.HTTPError, ValueError, AttributeError):
        return False


async def _keep(
    services: Services, user_id: int, identity: Identity, session: str, *, opened_at: str
) -> Identity:
    decoded = Session.decode(session)
    if decoded.did != identity.did:
        # the server logged us into another identity than the DID document's: never keep it
        log.info("a PDS answered createSession for another DID")
        await delete_session(opened_at, session, services.egress)
        raise ConnectFailed("service_down")
    if jwt_scope(decoded.access_jwt) == FULL_ACCESS:
        # a full-access session: the user gave their real password; do not keep it
        await delete_session(opened_at, session, services.egress)
        raise ConnectFailed("main_password")
    # the endpoint is the DID document's PDS, and the handle the verified one (or the DID)
    kept = Session(
        identity.handle, identity.did, decoded.access_jwt, decoded.refresh_jwt,
        identity.pds_url,
    ).encode()  # fmt: skip
    await services.accounts.save(
        user_id, NETWORK, handle=identity.handle, did=identity.did,
        service_url=identity.pds_url, secret=kept,
    )  # fmt: skip
    log.info("user %s connected a Bluesky account", user_id)
    return identity


async def delete_session(pds_url: str, session_string: str, egress: Egress) -> None:
    """End a session where it was opened (best effort)."""
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


def client_for(base_url: str, egress: Egress) -> AsyncClient:
    """An atproto client whose every request goes through the egress policy."""
    return AsyncClient(base_url=base_url, request=atproto_request(egress, TIMEOUT_S))


def jwt_scope(token: str) -> str | None:
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return None
    scope = data.get("scope") if isinstance(data, dict) else None
    return scope if isinstance(scope, str) else None


def error_name(exc: Exception) -> str:
    """The XRPC error name only (never a message that could echo request data)."""
    response = getattr(exc, "response", None)
    content = getattr(response, "content", None)
    return str(getattr(content, "error", None) or type(exc).__name__)
