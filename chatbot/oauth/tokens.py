"""An OAuth session: the token set kept (encrypted) as the secret of a connected account.

App-password sessions are atproto session strings; an OAuth session is a JSON object
(``{"kind": "oauth", ...}``) holding the tokens, the session's DPoP key, the
authorization server's endpoints and the client key the session is bound to.
`refresh` swaps the refresh token for new tokens under a lock (in-process, and the
account's row locked on PostgreSQL), so two jobs never spend the same refresh token:
the loser of a race adopts the winner's tokens. `revoke` ends the session at the
authorization server.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select, update

from chatbot.oauth import OAuthError, jose
from chatbot.oauth.authserver import ClientAuth, post
from chatbot.oauth.codes import ConfirmationStore
from chatbot.oauth.http import oauth_http
from chatbot.oauth.keys import ClientKeyStore
from chatbot.secrets import SecretDecryptionError
from chatbot.storage.schema import connected_accounts

if TYPE_CHECKING:
    from joserfc.jwk import ECKey

    from chatbot.services import Services

log = logging.getLogger(__name__)

NETWORK = "bluesky"
KIND = "oauth"
REFRESH_MARGIN_S = 300  # refresh this long before the access token expires
_LOCKS: dict[int, asyncio.Lock] = {}


@dataclass(frozen=True)
class TokenSet:
    did: str
    pds_url: str
    issuer: str
    token_endpoint: str
    revocation_endpoint: str | None
    client_id: str
    client_kid: str
    dpop_jwk: dict[str, Any]
    scope: str
    access_token: str
    refresh_token: str
    expires_at: float  # epoch seconds

    @property
    def dpop_key(self) -> ECKey:
        return jose.key_from_dict(self.dpop_jwk)

    def due(self, now: float | None = None) -> bool:
        return (now or time.time()) >= self.expires_at - REFRESH_MARGIN_S

    def encode(self) -> str:
        return orjson.dumps({"kind": KIND, "v": 1, **dataclasses.asdict(self)}).decode()

    @classmethod
    def decode(cls, secret: str) -> TokenSet:
        data = orjson.loads(secret)
        if not isinstance(data, dict) or data.get("kind") != KIND:
            raise ValueError("not an OAuth session")
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def with_response(self, data: dict[str, Any]) -> TokenSet:
        """The tokens a token endpoint answered (checked: DPoP-bound, same account)."""
        access, refresh = data.get("access_token"), data.get("refresh_token")
        expires_in = data.get("expires_in")
        if data.get("token_type") != "DPoP" or data.get("sub") != self.did:
            raise OAuthError("bad_token_response")
        if not isinstance(access, str) or not isinstance(refresh, str):
            raise OAuthError("bad_token_response")
        if not isinstance(expires_in, int) or not 0 < expires_in <= 86_400 * 30:
            raise OAuthError("bad_token_response")
        scope = data.get("scope")
        return dataclasses.replace(
            self,
            access_token=access,
            refresh_token=refresh,
            expires_at=time.time() + expires_in,
            scope=scope if isinstance(scope, str) else self.scope,
        )


def is_oauth(secret: str) -> bool:
    return secret.lstrip().startswith("{")


async def client_auth(services: Services, tokens: TokenSet) -> ClientAuth:
    """The client key this session is bound to (kept after a rotation for that reason)."""
    stored = await ClientKeyStore(services.db, services.secrets).get(tokens.client_kid)
    if stored is None:
        raise OAuthError("client_key_gone")
    return ClientAuth(tokens.client_id, stored.kid, stored.key)


async def refresh(services: Services, user_id: int, tokens: TokenSet) -> TokenSet:
    """New tokens for the user's session, stored encrypted; the stored ones if newer.

    Raises `OAuthError`: ``invalid_grant`` when the session is over (revoked, expired,
    key gone: the user must /connect again), others when the server does not answer.
    """
    lock = _lock(user_id)
    async with lock, _locked_session(services, user_id) as locked:
        stored = locked.tokens
        if stored is None:
            raise OAuthError("invalid_grant")  # disconnected meanwhile
        if stored.refresh_token != tokens.refresh_token:
            return stored  # another job (or process) refreshed first
        auth = await client_auth(services, stored)
        async with oauth_http(services.settings, egress=services.egress) as http:
            status, data = await post(
                http,
                stored.token_endpoint,
                {"grant_type": "refresh_token", "refresh_token": stored.refresh_token},
                issuer=stored.issuer,
                client=auth,
                dpop_key=stored.dpop_key,
            )
        if status != 200:
            error = str(data.get("error", ""))
            raise OAuthError("invalid_grant" if error == "invalid_grant" else f"http_{status}")
        fresh = stored.with_response(data)
        await locked.save(fresh)
    log.info("refreshed the Bluesky OAuth session of user %s", user_id)
    return fresh


def _lock(user_id: int) -> asyncio.Lock:
    if len(_LOCKS) > 10_000:  # bounded: forget the idle ones
        for key in [key for key, lock in _LOCKS.items() if not lock.locked()]:
            del _LOCKS[key]
    return _LOCKS.setdefault(user_id, asyncio.Lock())


async def revoke(services: Services, tokens: TokenSet) -> None:
    """End the session at the authorization server (best effort; the caller deletes it)."""
    if not tokens.revocation_endpoint:
        return
    try:
        auth = await client_auth(services, tokens)
        async with oauth_http(services.settings, egress=services.egress) as http:
            for token in (tokens.refresh_token, tokens.access_token):
                await post(
                    http,
                    tokens.revocation_endpoint,
                    {"token": token},
                    issuer=tokens.issuer,
                    client=auth,
                    dpop_key=tokens.dpop_key,
                )
    except OAuthError as exc:
        log.info("could not revoke a Bluesky OAuth session: %s", exc.reason)


async def keys_in_use(services: Services, batch: int = 500) -> set[str]:
    """Client key ids the stored OAuth sessions, and the approvals waiting for their
    code, are bound to (read in batches)."""
    t = connected_accounts.c
    found: set[str] = set()
    for waiting in await ConfirmationStore(services.db, services.secrets).waiting_tokens():
        with contextlib.suppress(ValueError, TypeError):
            found.add(TokenSet.decode(waiting).client_kid)
    last: int | None = None
    while True:
        query = select(t.user_id, t.secret).where(t.network == NETWORK)
        if last is not None:
            query = query.where(t.user_id > last)
        async with services.db.begin() as conn:
            rows = list(await conn.execute(query.order_by(t.user_id).limit(batch)))
        for row in rows:
            try:
                secret = services.secrets.decrypt(row.secret).decode()
                if is_oauth(secret):
                    found.add(TokenSet.decode(secret).client_kid)
            except (SecretDecryptionError, ValueError, TypeError):
                continue
        if len(rows) < batch:
            return found
        last = rows[-1].user_id


@asynccontextmanager
async def _locked_session(services: Services, user_id: int) -> AsyncIterator[_Locked]:
    """The stored session in a transaction that holds its row (FOR UPDATE on PostgreSQL;
    SQLite runs one process, where the asyncio lock suffices)."""
    t = connected_accounts.c
    key = (t.user_id == user_id, t.network == NETWORK)
    async with services.db.begin() as conn:
        row = (await conn.execute(select(t.secret).where(*key).with_for_update())).first()
        tokens: TokenSet | None = None
        if row is not None:
            try:
                secret = services.secrets.decrypt(row.secret).decode()
                tokens = TokenSet.decode(secret) if is_oauth(secret) else None
            except (SecretDecryptionError, ValueError, TypeError):
                tokens = None

        async def save(fresh: TokenSet) -> None:
            secret = services.secrets.encrypt(fresh.encode().encode())
            now = dt.datetime.now(dt.UTC)
            await conn.execute(
                update(connected_accounts).where(*key).values(secret=secret, updated_at=now)
            )

        yield _Locked(tokens, save)


@dataclass
class _Locked:
    tokens: TokenSet | None
    save: Callable[[TokenSet], Awaitable[None]]
