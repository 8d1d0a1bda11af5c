"""PDS -> its authorization server, with every document checked (atproto OAuth profile).

`GET {pds}/.well-known/oauth-protected-resource` names the authorization server; its
`/.well-known/oauth-authorization-server` metadata must name itself as issuer (the URL it
was fetched from) and offer what the bot needs: PAR (required), PKCE S256, DPoP and
`private_key_jwt` with ES256, client metadata documents, the `iss` response parameter.
Only https URLs are followed (`http.checked_url`). All of it is untrusted input: the PDS
comes from a DID document its owner writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from chatbot.oauth import OAuthError
from chatbot.oauth.http import checked_url, get_document, origin

if TYPE_CHECKING:
    from chatbot.config import Settings


@dataclass(frozen=True)
class AuthServer:
    issuer: str
    authorization_endpoint: str
    par_endpoint: str
    token_endpoint: str
    revocation_endpoint: str | None
    scopes_supported: tuple[str, ...]


async def auth_server_for(http: httpx.AsyncClient, settings: Settings, pds_url: str) -> AuthServer:
    """The authorization server of a PDS. Raises `OAuthError` (a short reason)."""
    pds = checked_url(pds_url, settings).rstrip("/")
    resource = await get_document(http, f"{pds}/.well-known/oauth-protected-resource", settings)
    if str(resource.get("resource", "")).rstrip("/").lower() != origin(pds):
        raise OAuthError("resource_mismatch")
    servers = resource.get("authorization_servers")
    if not isinstance(servers, list) or not servers:
        raise OAuthError("no_auth_server")
    issuer = checked_url(servers[0], settings)
    return await fetch_auth_server(http, settings, issuer)


async def fetch_auth_server(
    http: httpx.AsyncClient, settings: Settings, issuer: str
) -> AuthServer:
    issuer = checked_url(issuer, settings)
    parts = urlsplit(issuer)
    if parts.path not in ("", "/") or parts.query:
        raise OAuthError("bad_issuer")  # an atproto issuer is an origin
    issuer = issuer.rstrip("/")
    document = await get_document(
        http, f"{issuer}/.well-known/oauth-authorization-server", settings
    )
    return validate(document, issuer, settings)


def validate(doc: dict[str, Any], issuer: str, settings: Settings) -> AuthServer:
    """Check authorization-server metadata against the atproto OAuth requirements."""
    if doc.get("issuer") != issuer:
        raise OAuthError("issuer_mismatch")

    def has(field: str, value: str) -> bool:
        listed = doc.get(field)
        return isinstance(listed, list) and value in listed

    required = [
        has("response_types_supported", "code"),
        has("grant_types_supported", "authorization_code"),
        has("grant_types_supported", "refresh_token"),
        has("code_challenge_methods_supported", "S256"),
        has("token_endpoint_auth_methods_supported", "private_key_jwt"),
        has("token_endpoint_auth_signing_alg_values_supported", "ES256"),
        has("dpop_signing_alg_values_supported", "ES256"),
        has("scopes_supported", "atproto"),
        doc.get("require_pushed_authorization_requests") is True,
        doc.get("client_id_metadata_document_supported") is True,
        doc.get("authorization_response_iss_parameter_supported") is True,
    ]
    if not all(required):
        raise OAuthError("unsupported_server")
    revocation = doc.get("revocation_endpoint")
    scopes = doc.get("scopes_supported") or []
    return AuthServer(
        issuer=issuer,
        authorization_endpoint=checked_url(doc.get("authorization_endpoint"), settings),
        par_endpoint=checked_url(doc.get("pushed_authorization_request_endpoint"), settings),
        token_endpoint=checked_url(doc.get("token_endpoint"), settings),
        revocation_endpoint=checked_url(revocation, settings) if revocation else None,
        scopes_supported=tuple(str(s)[:200] for s in scopes[:100]),
    )
