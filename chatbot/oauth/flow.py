"""The approval flow: `start` makes the link for /connect, `complete` handles the callback.

`start` resolves the handle (or DID) to its PDS and authorization server (an e-mail
address: the entryway's, and the account is whoever signs in there, checked at the
callback: its DID document must name a PDS of that server), makes a PAR with PKCE
S256, a new DPoP key and the client assertion, and stores the approval in progress for
that chat user and chat (`states`). `complete` takes the state once, checks the issuer,
exchanges the code, requires that the account that approved is the one asked for,
checks the handle both ways (handle -> DID and the DID document's claim) and holds the
tokens until the one-time code the page shows comes back from that chat (`confirm`):
whoever approves may not be whoever asked. Nothing is kept when a step fails.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from chatbot.accounts import ConnectFailed
from chatbot.accounts import bluesky as accounts
from chatbot.accounts.identifiers import Identifier
from chatbot.networks.atproto_identity import normalize_handle, valid_did
from chatbot.oauth import OAuthError, confirm, discovery, jose, scopes
from chatbot.oauth.authserver import ClientAuth, post
from chatbot.oauth.http import oauth_http
from chatbot.oauth.keys import ClientKeyStore
from chatbot.oauth.states import StateStore
from chatbot.oauth.tokens import TokenSet, revoke

if TYPE_CHECKING:
    from chatbot.config import Settings
    from chatbot.services import Services

log = logging.getLogger(__name__)

CLIENT_METADATA_PATH = "/oauth/client-metadata.json"
JWKS_PATH = "/oauth/jwks.json"
CALLBACK_PATH = "/oauth/callback"


def base_url(settings: Settings) -> str:
    """``CHATBOT_PUBLIC_URL`` without a trailing slash."""
    return str(settings.public_url or "").rstrip("/")


def client_id(settings: Settings) -> str:
    return f"{base_url(settings)}{CLIENT_METADATA_PATH}"


def redirect_uri(settings: Settings) -> str:
    return f"{base_url(settings)}{CALLBACK_PATH}"


@dataclass(frozen=True)
class Link:
    url: str
    handle: str
    scope: str
    expires_in_s: int  # the shorter of our state's life and the server's request's


@dataclass(frozen=True)
class Outcome:
    """How a callback ended. `reason`: confirm (approved: `code` to send in the chat),
    unknown, expired, denied, other_account, scope, failed. `user_id` and `language` are
    known unless the state was unknown."""

    reason: str
    user_id: int | None = None
    language: str | None = None
    handle: str | None = None
    code: str | None = None

    @property
    def approved(self) -> bool:
        return self.reason == "confirm"


async def start(
    services: Services, user_id: int, chat_id: str, account: Identifier | str, language: str
) -> Link:
    """The approval link for `account` (a handle or a DID, or an e-mail address: then the
    entryway's authorization server, and the account is whoever signs in there), asked in
    `chat_id` (where the code must come back). Raises `ConnectFailed` or `OAuthError`."""
    settings = services.settings
    if isinstance(account, str):
        account = accounts.identifier(services, account)
    if account.is_email:  # no PDS to start from: the account is known after approval
        handle, did, pds = "", "", settings.bluesky_entryway_url.rstrip("/")
    else:
        identity = await accounts.resolve(services, account.value)
        handle, did, pds = account.value, identity.did, identity.pds_url
    key = await ClientKeyStore(services.db, services.secrets).active()
    auth = ClientAuth(client_id(settings), key.kid, key.key)
    dpop = jose.new_key()
    verifier, challenge = jose.pkce_pair()
    async with oauth_http(settings, egress=services.egress) as http:
        server = await discovery.auth_server_for(http, settings, pds)
        scope = scopes.choose(server.scopes_supported)
        payload = {
            "did": did,  # empty for an e-mail address: any account, checked at the callback
            "handle": handle,
            "pds": pds,
            "issuer": server.issuer,
            "token_endpoint": server.token_endpoint,
            "revocation_endpoint": server.revocation_endpoint,
            "verifier": verifier,
            "dpop_jwk": jose.private_dict(dpop),
            "kid": key.kid,
            "scope": scope,
            "language": language,
            "chat": chat_id,
        }
        states = StateStore(services.db, services.secrets)
        state = await states.create(user_id, payload, settings.oauth_link_ttl_s)
        form = {
            "response_type": "code",
            "redirect_uri": redirect_uri(settings),
            "scope": scope,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        if did:
            form["login_hint"] = did
        status, data = await post(
            http, server.par_endpoint, form, issuer=server.issuer, client=auth, dpop_key=dpop
        )
    request_uri = data.get("request_uri")
    if status not in (200, 201) or not isinstance(request_uri, str):
        raise OAuthError("par_refused")
    query = urlencode({"client_id": auth.client_id, "request_uri": request_uri})
    parts = urlsplit(server.authorization_endpoint)
    joined = f"{parts.query}&{query}" if parts.query else query
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, joined, ""))
    log.info("user %s got a Bluesky approval link (%s)", user_id, server.issuer)
    lifetime = data.get("expires_in")
    expires = settings.oauth_link_ttl_s
    if isinstance(lifetime, int) and 0 < lifetime < expires:
        expires = lifetime
    return Link(url, handle, scope, expires)


async def complete(services: Services, query: Mapping[str, str]) -> Outcome:
    """Handle the redirect back from the authorization server (never raises)."""
    taken = await StateStore(services.db, services.secrets).take(query.get("state", ""))
    if taken.outcome != "ok" or taken.payload is None or taken.user_id is None:
        return Outcome(taken.outcome, taken.user_id)
    payload, user_id = taken.payload, taken.user_id
    language = str(payload.get("language") or services.settings.default_language)
    if "error" in query or not query.get("code"):
        return Outcome("denied", user_id, language)
    if query.get("iss") != payload["issuer"]:
        log.warning("an OAuth callback named another issuer: refused")
        return Outcome("failed", user_id, language)
    chat_id = payload.get("chat")
    if not isinstance(chat_id, str):
        return Outcome("failed", user_id, language)  # a link made before codes existed
    tokens: TokenSet | None = None
    try:
        tokens = await _exchange(services, payload, query["code"])
        if tokens is None:
            return Outcome("other_account", user_id, language)
        if not scopes.granted(tokens.scope):
            await revoke(services, tokens)
            return Outcome("scope", user_id, language)
        handle = await verified_handle(services, tokens)
    except (OAuthError, ConnectFailed) as exc:
        log.info("Bluesky OAuth connection failed: %s", getattr(exc, "reason", exc))
        if tokens is not None:  # approved, but the account did not check out: end it
            await revoke(services, tokens)
        return Outcome("failed", user_id, language)
    code = await confirm.hold(services, user_id, chat_id, tokens, handle)
    log.info("user %s approved a Bluesky login; waiting for its code", user_id)
    return Outcome("confirm", user_id, language, handle, code)


async def _exchange(services: Services, payload: dict[str, object], code: str) -> TokenSet | None:
    """The tokens for the authorization `code`; None (revoked) when another account
    than the one asked for approved."""
    settings = services.settings
    stored = await ClientKeyStore(services.db, services.secrets).get(str(payload["kid"]))
    if stored is None:
        raise OAuthError("client_key_gone")
    auth = ClientAuth(client_id(settings), stored.kid, stored.key)
    tokens = TokenSet(
        did=str(payload["did"]),
        pds_url=str(payload["pds"]),
        issuer=str(payload["issuer"]),
        token_endpoint=str(payload["token_endpoint"]),
        revocation_endpoint=str(payload["revocation_endpoint"] or "") or None,
        client_id=auth.client_id,
        client_kid=auth.kid,
        dpop_jwk=dict(payload["dpop_jwk"]),  # type: ignore[call-overload]
        scope=str(payload["scope"]),
        access_token="",
        refresh_token="",
        expires_at=0.0,
    )
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(settings),
        "code_verifier": str(payload["verifier"]),
    }
    async with oauth_http(settings, egress=services.egress) as http:
        status, data = await post(
            http, tokens.token_endpoint, form, issuer=tokens.issuer, client=auth,
            dpop_key=tokens.dpop_key,
        )  # fmt: skip
    if status != 200:
        raise OAuthError(f"token_{status}")
    sub = data.get("sub")
    if not tokens.did:  # asked with an e-mail address: whoever signed in, checked
        return await _signed_in(services, tokens, data)
    if sub != tokens.did:  # someone else approved: their session is ended, nothing kept
        other = dataclasses.replace(tokens, did=str(sub))
        await revoke(services, other.with_response(data))
        return None
    return tokens.with_response(data)


async def _signed_in(services: Services, asked: TokenSet, data: dict[str, Any]) -> TokenSet:
    """The tokens of whoever signed in at the entryway (an e-mail address was given), when
    their DID document names a PDS whose authorization server is the one that answered
    (atproto OAuth: a flow started at a server checks the account's own server); ended
    otherwise."""
    sub = data.get("sub")
    if not isinstance(sub, str) or not valid_did(sub):
        raise OAuthError("bad_token_response")
    tokens = dataclasses.replace(asked, did=sub).with_response(data)
    try:
        identity = await accounts.resolve(services, sub)
        async with oauth_http(services.settings, egress=services.egress) as http:
            server = await discovery.auth_server_for(http, services.settings, identity.pds_url)
    except (ConnectFailed, OAuthError) as exc:
        await revoke(services, tokens)
        raise OAuthError("no_home") from exc
    if server.issuer != tokens.issuer:
        await revoke(services, tokens)
        raise OAuthError("issuer_mismatch")
    return dataclasses.replace(tokens, pds_url=identity.pds_url)


async def verified_handle(services: Services, tokens: TokenSet) -> str:
    """The handle the DID document claims, if it resolves back to the DID; else the DID.

    The DID document must still name the PDS the tokens are for (raises otherwise).
    """
    identity = await accounts.resolve(services, tokens.did)
    if identity.pds_url.rstrip("/") != tokens.pds_url.rstrip("/"):
        raise OAuthError("pds_moved")
    claimed = identity.handle
    if not claimed or claimed.startswith("did:") or normalize_handle(claimed) is None:
        return tokens.did
    try:
        back = await accounts.resolve(services, claimed)
    except ConnectFailed:
        return tokens.did
    return claimed if back.did == tokens.did else tokens.did
