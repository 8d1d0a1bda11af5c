"""Mastodon-compatible servers: out-of-band OAuth (the user pastes the code), PKCE S256
where announced.

`start_authorization` finds which software the server runs (`fediverse.detect`: NodeInfo,
``/api/v1/instance``, OAuth metadata), refuses the ones without a usable Mastodon API
with an explanation, and gets the bot's app on it (`mastodon_apps`: registered once per
server, with the scopes that software takes, the broad ``read write follow`` ones when
the precise ones are refused). The access token is stored encrypted. Mastodon.py is
synchronous: every call runs in a thread. The token exchange is a plain form POST
(Mastodon.py's `log_in` cannot send a PKCE verifier), made with httpx. Every request
(httpx, and Mastodon.py's requests session) goes through the egress policy: a server
the user names is reached only when it is not internal, and one that is refused looks
exactly like one that does not answer.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

import httpx
from mastodon import Mastodon
from mastodon.errors import MastodonError, MastodonUnauthorizedError

from chatbot.accounts import AccountExpired, ConnectFailed, ServiceUnavailable
from chatbot.accounts.fediverse import PRECISE, detect, json_object
from chatbot.accounts.mastodon_apps import OOB, app_for, registered_scopes
from chatbot.networks.egress import Egress, http_client, requests_session
from chatbot.secrets import SecretDecryptionError

if TYPE_CHECKING:
    from chatbot.services import Services

log = logging.getLogger(__name__)

NETWORK = "mastodon"
SCOPES = PRECISE  # what the bot asks for where the server allows it
TIMEOUT_S = 20.0
# any host a URL may carry (names, IPv4 in any spelling, [IPv6]) and a port: whether it
# may be reached is the egress policy's decision, made the same way for every spelling
HOST = re.compile(
    r"^([a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)*|"
    r"\[[0-9a-f:.]{2,45}(%25[a-z0-9]{1,16})?\])(:\d{1,5})?$"
)

__all__ = ["OOB", "SCOPES", "Authorization", "instance_url", "mastodon_client"]


@dataclass(frozen=True)
class Authorization:
    """A started authorization: the link for the user, what the code exchange needs, and
    what to tell the user about the server."""

    instance_url: str
    url: str
    verifier: str | None  # PKCE code verifier, when the instance supports S256
    scopes: str = " ".join(SCOPES)  # asked for (the app's scopes)
    software: str = ""  # "GoToSocial 0.20.1"; "" when the server does not say
    broad: bool = False  # the broad scopes (read write follow), not the precise ones
    full_access: bool = False  # the server cannot hold a token to its scopes


def instance_url(text: str, *, allow_http: bool = False) -> str:
    """``mastodon.social``, ``https://mastodon.social/``, ``@me@mastodon.social`` -> URL.

    `allow_http`: plain http may reach something (``CHATBOT_EGRESS_ALLOW`` is not empty;
    the policy still lets it reach only allow-listed addresses).
    Raises `ConnectFailed` (bad_instance, http_refused).
    """
    value = unicodedata.normalize("NFKC", text).strip().lower().rstrip("/")
    if "://" not in value and "@" in value:
        value = value.rsplit("@", 1)[1]
    scheme = "https"
    if "://" in value:
        parts = urlsplit(value)
        scheme, value = parts.scheme, parts.netloc
    if scheme not in ("http", "https") or len(value) > 260 or not HOST.match(value):
        raise ConnectFailed("bad_instance")
    if scheme == "http" and not allow_http:
        raise ConnectFailed("http_refused")
    return f"{scheme}://{value}"


async def start_authorization(
    services: Services, url: str, *, broad: bool = False
) -> Authorization:
    """Check the server, get the bot's app on it, build the authorization link; `broad`:
    ask for ``read write follow`` (the server's page refused the precise scopes).

    Raises `ConnectFailed`: not_mastodon, unsupported_software, app_closed, app_refused,
    scope_refused, no_oob, service_down, rate_limited.
    """
    server = await detect(url, services.egress)
    app = await app_for(services, server, broad=broad)
    scopes = registered_scopes(app)
    params = {
        "client_id": app.client_id,
        "response_type": "code",
        "redirect_uri": OOB,
        "scope": scopes,
    }
    verifier = None
    if app.pkce:
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        params["code_challenge"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        params["code_challenge_method"] = "S256"
    endpoint = str(server.oauth.get("authorization_endpoint") or f"{url}/oauth/authorize")
    if not endpoint.startswith(url.split("://")[0] + "://"):
        endpoint = f"{url}/oauth/authorize"  # never downgrade to http on an https instance
    return Authorization(
        url, f"{endpoint}?{urlencode(params)}", verifier, scopes, server.display,
        broad=scopes != " ".join(SCOPES), full_access=server.full_access,
    )  # fmt: skip


async def finish_authorization(
    services: Services, user_id: int, auth: Authorization, code: str
) -> str:
    """Exchange the pasted code, check the token, store it encrypted; returns the acct.

    Raises `ConnectFailed`: wrong_code, expired (the cached app is gone: start again),
    service_down, rate_limited.
    """
    app = await services.accounts.mastodon_app(auth.instance_url)
    if app is None:
        raise ConnectFailed("expired")
    form = {
        "grant_type": "authorization_code",
        "code": code.strip(),
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "redirect_uri": OOB,
        "scope": auth.scopes,
    }
    if auth.verifier:
        form["code_verifier"] = auth.verifier
    response = await _post(f"{auth.instance_url}/oauth/token", form, services.egress)
    if response.status_code == 401 or _oauth_error(response) == "invalid_client":
        await services.accounts.forget_mastodon_app(auth.instance_url)
        raise ConnectFailed("expired")
    if response.status_code in (400, 403):
        raise ConnectFailed("wrong_code")
    token = json_object(response).get("access_token") if response.status_code == 200 else None
    if not isinstance(token, str) or not token:
        raise ConnectFailed("service_down")
    client = _client(auth.instance_url, token, services.egress)
    try:
        me = await asyncio.to_thread(client.account_verify_credentials)
    except MastodonUnauthorizedError:
        raise ConnectFailed("wrong_code") from None
    except MastodonError as exc:
        log.info("verify_credentials failed on %s: %s", auth.instance_url, type(exc).__name__)
        raise ConnectFailed("service_down") from None
    acct = str(me["acct"])
    if "@" not in acct:
        acct = f"{acct}@{urlsplit(auth.instance_url).netloc}"
    await services.accounts.save(
        user_id, NETWORK, handle=acct, service_url=auth.instance_url, secret=token
    )
    log.info("user %s connected a Mastodon account on %s", user_id, auth.instance_url)
    return acct


async def mastodon_client(services: Services, user_id: int) -> Mastodon | None:
    """An authenticated Mastodon.py client (``ratelimit_method="throw"``); None if not
    connected. Checked with verify_credentials: raises `AccountExpired` when the token
    was revoked, `ServiceUnavailable` when the instance does not answer. Synchronous:
    call its methods with ``asyncio.to_thread``.
    """
    try:
        account = await services.accounts.get(user_id, NETWORK)
    except SecretDecryptionError:
        raise AccountExpired(NETWORK) from None
    if account is None:
        return None
    client = _client(account.service_url, account.secret, services.egress)
    try:
        await asyncio.to_thread(client.account_verify_credentials)
    except MastodonUnauthorizedError:
        raise AccountExpired(NETWORK) from None
    except MastodonError:
        raise ServiceUnavailable(NETWORK) from None
    return client


async def revoke(services: Services, user_id: int) -> None:
    """Revoke the stored token on its instance (best effort); the caller deletes the row."""
    try:
        account = await services.accounts.get(user_id, NETWORK)
        if account is None:
            return
        app = await services.accounts.mastodon_app(account.service_url)
    except SecretDecryptionError:
        return
    if app is None:
        return
    form = {"client_id": app.client_id, "client_secret": app.client_secret}
    try:
        response = await _post(
            f"{account.service_url}/oauth/revoke",
            form | {"token": account.secret},
            services.egress,
        )
        response.raise_for_status()
    except (ConnectFailed, httpx.HTTPError) as exc:
        log.info("could not revoke a Mastodon token: %s", type(exc).__name__)


def _client(url: str, token: str, egress: Egress) -> Mastodon:
    return Mastodon(
        access_token=token,
        api_base_url=url,
        request_timeout=TIMEOUT_S,
        ratelimit_method="throw",
        version_check_mode="none",
        session=requests_session(egress),
    )


async def _post(url: str, form: dict[str, str], egress: Egress) -> httpx.Response:
    try:
        async with http_client(egress, timeout=TIMEOUT_S) as http:
            response = await http.post(url, data=form)
    except (httpx.HTTPError, httpx.InvalidURL):
        raise ConnectFailed("service_down") from None
    if response.status_code == 429:
        raise ConnectFailed("rate_limited")
    return response


def _oauth_error(response: httpx.Response) -> str | None:
    error = json_object(response).get("error")
    return error if isinstance(error, str) else None
