"""The bot's OAuth app on a Mastodon-compatible server: registered once, with its scopes.

``POST /api/v1/apps`` with the out-of-band redirect and the scopes the server's software
takes (`fediverse.Server.scopes`). A server that refuses them at registration (Mastodon
before 2.4.3: "Scopes are invalid") gets the broad ones (``read write follow``); the app
remembers which, so an authorization never asks for scopes its app was not registered
with (the usual cause of "The requested scope is invalid, unknown, or malformed"). The
user can also ask for the broad ones when the server's page refuses the precise ones
(`app_for(..., broad=True)`). Refusals become `ConnectFailed`: app_closed (401/403),
no_oob (the out-of-band redirect refused), scope_refused, app_refused, rate_limited,
service_down.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import httpx

from chatbot.accounts import ConnectFailed
from chatbot.accounts.fediverse import BROAD, PRECISE, TIMEOUT_S, Server, json_object
from chatbot.networks.egress import Egress, http_client
from chatbot.storage.accounts import MastodonApp

if TYPE_CHECKING:
    from chatbot.services import Services

log = logging.getLogger(__name__)

OOB = "urn:ietf:wg:oauth:2.0:oob"
APP_NAME = "X migration bot"
WEBSITE = "https://github.com/"  # some servers want one; it is shown on their consent page
MAX_ERROR = 2048  # characters of an error body looked at


class _ScopesRefused(Exception):
    pass


def registered_scopes(app: MastodonApp) -> str:
    """The scopes `app` was registered with (apps from before they were recorded: the
    precise ones, which the bot always asked for then)."""
    return app.scopes or " ".join(PRECISE)


async def app_for(services: Services, server: Server, *, broad: bool = False) -> MastodonApp:
    """The app to authorize with on `server` (cached per server, encrypted secret)."""
    wanted = " ".join(BROAD if broad else server.scopes())
    app = await services.accounts.mastodon_app(server.url)
    if app is not None and registered_scopes(app) in (wanted, " ".join(BROAD)):
        return app  # the same scopes, or the broad ones this server was found to need
    try:
        app = await _register(server, wanted, services.egress)
    except _ScopesRefused:
        if wanted == " ".join(BROAD):
            raise ConnectFailed("scope_refused") from None
        log.info("%s refused the precise scopes: registering with the broad ones", server.host)
        try:
            app = await _register(server, " ".join(BROAD), services.egress)
        except _ScopesRefused:
            raise ConnectFailed("scope_refused") from None
    await services.accounts.save_mastodon_app(app)
    return app


async def _register(server: Server, scopes: str, egress: Egress) -> MastodonApp:
    form = {"client_name": APP_NAME, "redirect_uris": OOB, "scopes": scopes, "website": WEBSITE}
    try:
        async with http_client(egress, timeout=TIMEOUT_S) as http:
            response = await http.post(f"{server.url}/api/v1/apps", data=form)
    except (httpx.HTTPError, httpx.InvalidURL):
        raise ConnectFailed("service_down") from None
    if response.status_code == 429:
        raise ConnectFailed("rate_limited")
    data = json_object(response)
    client_id, secret = data.get("client_id"), data.get("client_secret")
    if response.status_code == 200 and isinstance(client_id, str) and isinstance(secret, str):
        return MastodonApp(server.url, client_id[:255], secret[:1024], server.pkce, scopes)
    error = response.text[:MAX_ERROR].lower()
    log.info("app registration refused by %s (HTTP %s)", server.host, response.status_code)
    if response.status_code in (401, 403):
        raise ConnectFailed("app_closed")
    if "scope" in error:
        raise _ScopesRefused()
    if "redirect" in error:
        raise ConnectFailed("no_oob")
    raise ConnectFailed("app_refused")
