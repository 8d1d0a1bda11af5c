"""OAuth discovery takes nothing on trust: only https, an issuer that names itself, the
features the bot needs; a refused URL opens no connection."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chatbot.config import Settings
from chatbot.oauth import OAuthError
from chatbot.oauth.discovery import auth_server_for, validate
from chatbot.oauth.http import checked_url, oauth_http

ISSUER = "https://pds.example.org"


def metadata(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/oauth/authorize",
        "token_endpoint": f"{ISSUER}/oauth/token",
        "revocation_endpoint": f"{ISSUER}/oauth/revoke",
        "pushed_authorization_request_endpoint": f"{ISSUER}/oauth/par",
        "require_pushed_authorization_requests": True,
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256"],
        "dpop_signing_alg_values_supported": ["ES256"],
        "scopes_supported": ["atproto", "transition:generic"],
        "client_id_metadata_document_supported": True,
        "authorization_response_iss_parameter_supported": True,
    }
    doc.update(changes)
    return doc


def test_valid_metadata(settings: Settings) -> None:
    server = validate(metadata(), ISSUER, settings)
    assert server.par_endpoint == f"{ISSUER}/oauth/par"


@pytest.mark.parametrize(
    "changes",
    [
        {"issuer": "https://other.example.org"},
        {"token_endpoint": "http://pds.example.org/oauth/token"},
        {"pushed_authorization_request_endpoint": "https://user@127.0.0.1/par"},
        {"authorization_endpoint": "javascript:alert(1)"},
        {"require_pushed_authorization_requests": False},
        {"code_challenge_methods_supported": ["plain"]},
        {"token_endpoint_auth_methods_supported": ["none"]},
        {"dpop_signing_alg_values_supported": ["RS256"]},
        {"client_id_metadata_document_supported": False},
        {"authorization_response_iss_parameter_supported": False},
        {"scopes_supported": ["transition:generic"]},
    ],
)
def test_metadata_refused(settings: Settings, changes: dict[str, Any]) -> None:
    with pytest.raises(OAuthError):
        validate(metadata(**changes), ISSUER, settings)


@pytest.mark.parametrize(
    "url",
    ["http://pds.example.org", "https://a@pds.example.org", "https://pds.example.org/#x",
     "ftp://pds.example.org", "https:///path", 42, "https://pds.example.org:99999"],
)  # fmt: skip
def test_only_plain_https_urls(settings: Settings, url: object) -> None:
    with pytest.raises(OAuthError):
        checked_url(url, settings)


async def test_an_http_pds_is_never_contacted(settings: Settings) -> None:
    """A DID document may name any endpoint: plain http (here a loopback listener) is
    refused before any connection is made."""
    accepted: list[object] = []

    async def victim(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer.get_extra_info("peername"))
        writer.close()

    server = await asyncio.start_server(victim, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with oauth_http(settings) as http:
            with pytest.raises(OAuthError):
                await auth_server_for(http, settings, f"http://127.0.0.1:{port}")
    finally:
        server.close()
        await server.wait_closed()
    assert accepted == []
