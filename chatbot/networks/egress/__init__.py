"""Every outbound HTTP request the bot makes for its users goes through here.

Threat model §4.1 (SSRF): a destination picked by a user, a remote document or DNS must
never be an internal address, in any spelling, at the moment the connection is made.
The model is Mastodon's ``Request`` class and GoToSocial's sanitizer: resolve, check
every address, connect only to a checked address.

Public API (build an `Egress` once per process, usually ``services.egress``):

- ``Egress.from_settings(settings)``: the policy, with ``CHATBOT_EGRESS_ALLOW``.
- ``http_client(egress, timeout=...) -> httpx.AsyncClient``: for our own requests and for
  SDKs that take an httpx client (atproto: `atproto_request`).
- ``requests_session(egress) -> requests.Session``: for Mastodon.py (``session=``).
- ``check_url(egress, url) -> str``: the syntactic checks for a URL read from a remote
  document (JRD links, DID service endpoints, OAuth metadata): https only (http only when
  something is allow-listed), no userinfo, no backslash, no percent-encoded or non-ASCII
  host, and no literal address the policy refuses. Raises `Refused`.
- `Refused` (policy), `EgressRefused` (an `httpx.ConnectError`: callers treat it exactly
  like a host that does not answer, so internal targets cannot be told apart), and
  `ResponseTooLarge`.

Chat platforms' own SDK clients (Telegram Bot API, Matrix homeserver) talk to servers
the operator configured and stay outside this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from chatbot.lazy import exports
from chatbot.networks.egress.addresses import literal_address
from chatbot.networks.egress.policy import Egress, Refused, Resolver, SystemResolver

if TYPE_CHECKING:
    from chatbot.networks.egress.httpx_client import (
        EgressRefused,
        GuardedClient,
        GuardedTransport,
        ResponseTooLarge,
        http_client,
    )
    from chatbot.networks.egress.requests_client import requests_session

_HOST_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789.-:[]")


def check_url(egress: Egress, url: str) -> str:
    """`url` when it may be followed (see the module doc); raises `Refused`."""
    if not isinstance(url, str) or len(url) > 2048 or "\\" in url or not url.isascii():
        raise Refused("not a usable URL")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise Refused("not a usable URL") from None
    if parts.scheme not in ("https", "http") or (
        parts.scheme == "http" and not egress.http_allowed()
    ):
        raise Refused("only https")
    host = (parts.hostname or "").lower()
    if not host or "@" in parts.netloc or "%" in parts.netloc or set(host) - _HOST_CHARS:
        raise Refused("not a usable host")
    if port == 0:
        raise Refused("not a usable port")
    literal = literal_address(host)
    if literal is not None and not egress.permitted(literal):
        raise Refused("destination not allowed")
    return url.strip()


__all__ = [
    "Egress",
    "EgressRefused",
    "GuardedClient",
    "GuardedTransport",
    "Refused",
    "Resolver",
    "ResponseTooLarge",
    "SystemResolver",
    "check_url",
    "http_client",
    "requests_session",
]

# the HTTP clients load on first use (PEP 562): the policy alone, which the bot's services
# hold from the start, does not bring httpx or requests with it
__getattr__ = exports(
    __name__,
    {
        "EgressRefused": "httpx_client",
        "GuardedClient": "httpx_client",
        "GuardedTransport": "httpx_client",
        "ResponseTooLarge": "httpx_client",
        "http_client": "httpx_client",
        "requests_session": "requests_client",
    },
)
