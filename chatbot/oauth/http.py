"""The one factory of HTTP clients for OAuth, and the checks on URLs and documents.

Every request of the OAuth code (protected-resource and authorization-server metadata,
PAR, token, revocation, and the PDS calls of OAuth sessions) goes through a client made
by `oauth_http`. It is to be routed through the egress policy (`chatbot.networks.egress`:
resolution, non-global addresses refused, connection pinned) in that one place when the
policy lands; until then it never follows redirects and bounds time and sizes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import orjson

from chatbot.oauth import OAuthError

if TYPE_CHECKING:
    from chatbot.config import Settings

TIMEOUT_S = 20.0
MAX_DOCUMENT_BYTES = 64 * 1024  # metadata and token responses are a few KB
USER_AGENT = "x-migration-chatbot (Bluesky OAuth client)"


def oauth_http(settings: Settings, *, auth: httpx.Auth | None = None) -> httpx.AsyncClient:
    """A client for OAuth requests: no redirects, bounded time. Egress policy goes here."""
    del settings  # the egress policy will read its allow-list from the settings
    return httpx.AsyncClient(
        timeout=TIMEOUT_S,
        follow_redirects=False,
        auth=auth,
        headers={"User-Agent": USER_AGENT},
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=5),
    )


def checked_url(url: object, settings: Settings) -> str:
    """`url` when it is an absolute https URL (http only with the test setting); else raise.

    URLs come from remote documents (DID documents, OAuth metadata): only https is
    followed, never credentials in the URL, never a fragment.
    """
    if not isinstance(url, str) or len(url) > 2048:
        raise OAuthError("bad_url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise OAuthError("bad_url") from None
    schemes = ("https", "http") if settings.bluesky_oauth_allow_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname or parts.fragment:
        raise OAuthError("bad_url")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise OAuthError("bad_url")
    if port is not None and not 0 < port < 65536:
        raise OAuthError("bad_url")
    return url


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


async def read_json(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of a response ({} when empty), read up to `MAX_DOCUMENT_BYTES`."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_DOCUMENT_BYTES:
            raise OAuthError("too_large")
    if not body.strip():
        return {}
    try:
        data = orjson.loads(bytes(body))
    except orjson.JSONDecodeError:
        raise OAuthError("not_json") from None
    if not isinstance(data, dict):
        raise OAuthError("not_json")
    return data


async def get_document(http: httpx.AsyncClient, url: str, settings: Settings) -> dict[str, Any]:
    """GET a JSON metadata document: exactly 200, JSON, bounded; errors as `OAuthError`."""
    checked_url(url, settings)
    try:
        async with http.stream("GET", url, headers={"Accept": "application/json"}) as response:
            if response.status_code != 200:
                raise OAuthError(f"http_{response.status_code}")
            return await read_json(response)
    except httpx.HTTPError:
        raise OAuthError("unreachable") from None
