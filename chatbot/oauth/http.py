"""The one factory of HTTP clients for OAuth, and the checks on URLs and documents.

Every request of the OAuth code (protected-resource and authorization-server metadata,
PAR, token, revocation, and the PDS calls of OAuth sessions) goes through a client made
by `oauth_http`, under the egress policy (`chatbot.networks.egress`: resolution,
non-global addresses refused in every spelling, the connection pinned to the checked
address). It never follows redirects and bounds time and sizes. URLs read from remote
documents pass `checked_url`: the egress policy's checks, then OAuth's own (no fragment).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import orjson

from chatbot.networks.egress import Egress, Refused, check_url, http_client
from chatbot.oauth import OAuthError

if TYPE_CHECKING:
    from chatbot.config import Settings

TIMEOUT_S = 20.0
MAX_DOCUMENT_BYTES = 64 * 1024  # metadata and token responses are a few KB
USER_AGENT = "x-migration-chatbot (Bluesky OAuth client)"


def oauth_http(
    settings: Settings, *, egress: Egress | None = None, auth: httpx.Auth | None = None
) -> httpx.AsyncClient:
    """A client for OAuth requests under the egress policy (the process's `egress`, e.g.
    ``services.egress``; else one made from `settings`): no redirects, bounded time."""
    client = http_client(
        egress or Egress.from_settings(settings),
        timeout=TIMEOUT_S,
        headers={"User-Agent": USER_AGENT},
    )
    if auth is not None:
        client.auth = auth
    return client


def checked_url(url: object, settings: Settings) -> str:
    """`url` when it may be followed from a remote document (DID document, OAuth metadata).

    The egress policy's checks (https only, http only towards ``CHATBOT_EGRESS_ALLOW``; no
    userinfo, backslash or encoded host; no literal internal address), and no fragment.
    """
    if not isinstance(url, str):
        raise OAuthError("bad_url")
    try:
        check_url(Egress.from_settings(settings), url)
    except Refused:
        raise OAuthError("bad_url") from None
    if urlsplit(url).fragment:
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
