"""Bluesky: connect with an app password, keep only the (encrypted) session, restore it.

What the user types becomes an identifier (`identifiers`: a handle, a bare name, a
profile URL, a DID or an e-mail address); `bluesky_identity` finds the account's DID,
PDS and verified handle; `bluesky_login` opens the session where the DID document says
(or, for an e-mail address, at the operator's entryway, then checks the session's DID
document) and stores it, encrypted. Every request goes through the egress policy. The
exported session string is replaced whenever atproto refreshes it (session-change
callback); OAuth sessions (issue 16) are restored through `chatbot.oauth.client`.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import httpx
from atproto import AsyncClient, Session, SessionEvent
from atproto_client.exceptions import (
    AtProtocolError,
    BadRequestError,
    NetworkError,
    UnauthorizedError,
)

from chatbot.accounts import AccountExpired, ServiceUnavailable
from chatbot.accounts.bluesky_identity import (
    Identity,
    identifier,
    identity_resolver,
    parse_or_none,
    resolve,
)
from chatbot.accounts.bluesky_login import client_for, delete_session, error_name, log_in
from chatbot.accounts.identifiers import Identifier
from chatbot.secrets import SecretDecryptionError

if TYPE_CHECKING:
    from chatbot.services import Services

log = logging.getLogger(__name__)

NETWORK = "bluesky"
APP_PASSWORD = re.compile(r"^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$")

__all__ = [
    "Identity", "bluesky_client", "connect", "identifier", "identity_resolver",
    "looks_like_app_password", "parse_or_none", "resolve", "revoke",
]  # fmt: skip


def looks_like_app_password(text: str) -> bool:
    return bool(APP_PASSWORD.match(text.strip().lower()))


async def connect(
    services: Services, user_id: int, account: Identifier | str, password: str
) -> Identity:
    """Log in with an app password and store the session, encrypted.

    `account`: an `Identifier`, or text to parse as one. Raises `ConnectFailed`:
    unknown_handle, wrong_password, email_refused, pds_mismatch, main_password (the
    account's own password was given: refused, the session is ended), rate_limited,
    service_down; `BadIdentifier` for text that names no account. Nothing is stored on
    failure.
    """
    if isinstance(account, str):
        account = identifier(services, account)
    return await log_in(services, user_id, account, password)


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
    client = client_for(account.service_url, services.egress)

    async def persist(event: SessionEvent, session: Session) -> None:
        if event in (SessionEvent.CREATE, SessionEvent.REFRESH):
            await services.accounts.update_secret(user_id, NETWORK, session.encode())

    client.on_session_change(persist)
    try:
        await client.login(session_string=account.secret, fetch_bsky_profile=False)
        await client.com.atproto.server.get_session()  # refreshes the session when due
    except (UnauthorizedError, BadRequestError, ValueError) as exc:
        log.info("Bluesky session of user %s no longer works: %s", user_id, error_name(exc))
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
        await delete_session(account.service_url, account.secret, services.egress)
