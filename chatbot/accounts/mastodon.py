"""Mastodon: out-of-band OAuth (the user pastes the code), PKCE S256 where announced.

One app per instance, registered on first use and cached (client secret encrypted).
The access token is stored encrypted. Mastodon.py is synchronous: every call runs in a
thread. The token exchange is a plain form POST (Mastodon.py's `log_in` cannot send a
PKCE verifier), made with httpx. Every request (httpx, and Mastodon.py's requests session)
goes through the egress policy: an instance the user names is reached only when it is not
internal, and one that is refused looks exactly like one that does not answer.
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
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import httpx
from mastodon import Mastodon
from mastodon.errors import (
    MastodonError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonUnauthorizedError,
)

from chatbot.accounts import AccountExpired, ConnectFailed, ServiceUnavailable
from chatbot.networks.egress import Egress, http_client, requests_session
from chatbot.secrets import SecretDecryptionError
from chatbot.storage.accounts import MastodonApp

if TYPE_CHECKING:
    from chatbot.services import Services

log = logging.getLogger(__name__)

NETWORK = "mastodon"
OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = ["read", "write:follows", "write:lists", "write:accounts"]
APP_NAME = "X migration bot"
TIMEOUT_S = 20.0
# any host a URL may carry (names, IPv4 in any spelling, [IPv6]) and a port: whether it
# may be reached is the egress policy's decision, made the same way for every spelling
HOST = re.compile(
    r"^([a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)*|"
    r"\[[0-9a-f:.]{2,45}(%25[a-z0-9]{1,16})?\])(:\d{1,5})?$"
)


@dataclass(frozen=True)
class Authorization:
    """A started authorization: the link for the user, what the code exchange needs."""

    instance_url: str
    url: str
    verifier: str | None  # PKCE code verifier, when the instance supports S256


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


async def start_authorization(services: Services, url: str) -> Authorization:
    """Check the instance, register (or reuse) our app, build the authorization link.

    Raises `ConnectFailed`: not_mastodon, app_refused, service_down, rate_limited.
    """
    info = await _server_info(url, services.egress)
    app = await services.accounts.mastodon_app(url)
    if app is None:
        pkce = "S256" in info.get("code_challenge_methods_supported", [])
        app = await _register_app(url, services.egress, pkce=pkce)
        await services.accounts.save_mastodon_app(app)
    params = {
        "client_id": app.client_id,
        "response_type": "code",
        "redirect_uri": OOB,
        "scope": " ".join(SCOPES),
    }
    verifier = None
    if app.pkce:
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        params["code_challenge"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        params["code_challenge_method"] = "S256"
    endpoint = str(info.get("authorization_endpoint") or f"{url}/oauth/authorize")
    if not endpoint.startswith(url.split("://")[0] + "://"):
        endpoint = f"{url}/oauth/authorize"  # never downgrade to http on an https instance
    return Authorization(url, f"{endpoint}?{urlencode(params)}", verifier)


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
        "scope": " ".join(SCOPES),
    }
    if auth.verifier:
        form["code_verifier"] = auth.verifier
    response = await _post(f"{auth.instance_url}/oauth/token", form, services.egress)
    if response.status_code == 401 or _oauth_error(response) == "invalid_client":
        await services.accounts.forget_mastodon_app(auth.instance_url)
        raise ConnectFailed("expired")
    if response.status_code in (400, 403):
        raise ConnectFailed("wrong_code")
    token = _json(response).get("access_token") if response.status_code == 200 else None
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


async def _server_info(url: str, egress: Egress) -> dict[str, Any]:
    """The instance must answer /api/v1/instance like Mastodon; OAuth metadata if any."""
    try:
        async with http_client(egress, timeout=TIMEOUT_S, follow_redirects=True) as http:
            instance = await http.get(f"{url}/api/v1/instance")
            if instance.status_code == 429:
                raise ConnectFailed("rate_limited")
            data = _json(instance) if instance.status_code == 200 else {}
            if not data.get("uri") and not data.get("domain"):
                raise ConnectFailed("not_mastodon")
            meta = await http.get(f"{url}/.well-known/oauth-authorization-server")
    except (httpx.HTTPError, httpx.InvalidURL):
        raise ConnectFailed("service_down") from None
    info = _json(meta) if meta.status_code == 200 else {}
    if info.get("response_types_supported") and "code" not in info["response_types_supported"]:
        raise ConnectFailed("no_oob")
    return info


async def _register_app(url: str, egress: Egress, *, pkce: bool) -> MastodonApp:
    try:
        client_id, client_secret = await asyncio.to_thread(
            Mastodon.create_app, APP_NAME, scopes=SCOPES, redirect_uris=OOB, api_base_url=url,
            request_timeout=TIMEOUT_S, session=requests_session(egress),
        )  # fmt: skip
    except MastodonRatelimitError:
        raise ConnectFailed("rate_limited") from None
    except MastodonNetworkError:
        raise ConnectFailed("service_down") from None
    except MastodonError as exc:  # registration closed, oob or scopes refused, not Mastodon
        log.info("app registration refused by %s: %s", url, type(exc).__name__)
        raise ConnectFailed("app_refused") from None
    return MastodonApp(url, str(client_id), str(client_secret), pkce)


async def _post(url: str, form: dict[str, str], egress: Egress) -> httpx.Response:
    try:
        async with http_client(egress, timeout=TIMEOUT_S) as http:
            response = await http.post(url, data=form)
    except (httpx.HTTPError, httpx.InvalidURL):
        raise ConnectFailed("service_down") from None
    if response.status_code == 429:
        raise ConnectFailed("rate_limited")
    return response


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _oauth_error(response: httpx.Response) -> str | None:
    error = _json(response).get("error")
    return error if isinstance(error, str) else None
