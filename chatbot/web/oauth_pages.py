"""The OAuth routes: client metadata (its URL is the client_id), public keys, callback.

The callback page is small, in the user's language, and says to go back to the chat;
the chat itself gets the outcome as a message (any front end can answer the callback:
the approval in progress is in the shared database). The page never echoes the query.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from chatbot.i18n import negotiate, translator
from chatbot.oauth import flow, scopes
from chatbot.oauth.keys import ClientKeyStore
from chatbot.platforms.base import ChatRef, Platform, Text

if TYPE_CHECKING:
    from chatbot.config import Settings
    from chatbot.services import Services
    from chatbot.web.server import WebServer

log = logging.getLogger(__name__)

CLIENT_NAME = "X migration bot"
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def client_metadata(settings: Settings) -> dict[str, Any]:
    """The client metadata document (atproto OAuth: a confidential web client)."""
    base = flow.base_url(settings)
    return {
        "client_id": flow.client_id(settings),
        "client_name": CLIENT_NAME,
        "client_uri": base,
        "application_type": "web",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "redirect_uris": [flow.redirect_uri(settings)],
        "scope": scopes.DECLARED,
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": "ES256",
        "jwks_uri": f"{base}{flow.JWKS_PATH}",
        "dpop_bound_access_tokens": True,
    }


def add_oauth_routes(
    server: WebServer, services: Services, platforms: Mapping[str, Platform]
) -> None:
    """Serve the OAuth documents and callback; `platforms` (filled once they run) send
    the outcome to the user's chat."""
    settings = services.settings

    async def metadata(request: web.Request) -> web.Response:
        return web.json_response(
            client_metadata(settings), headers={"Cache-Control": "public, max-age=300"}
        )

    async def jwks(request: web.Request) -> web.Response:
        keys = await ClientKeyStore(services.db, services.secrets).jwks()
        return web.json_response(keys, headers={"Cache-Control": "public, max-age=300"})

    async def callback(request: web.Request) -> web.Response:
        query = {k: v[:2048] for k, v in list(request.query.items())[:20]}
        outcome = await flow.complete(services, query)
        hint = request.headers.get("Accept-Language", "")[:64]
        language = negotiate(outcome.language, hint, settings.default_language)
        if outcome.user_id is not None:
            await tell_chat(services, platforms, outcome)
        status = 200 if outcome.connected else 400
        return page(language, outcome.reason, status, handle=outcome.handle)

    server.add("GET", flow.CLIENT_METADATA_PATH, metadata)
    server.add("GET", flow.JWKS_PATH, jwks)
    server.add("GET", flow.CALLBACK_PATH, callback)


def page(language: str, reason: str, status: int, *, handle: str | None = None) -> web.Response:
    t = translator(negotiate(language, None))
    title = t(f"web.oauth.title.{reason}")
    body = t(f"web.oauth.body.{reason}", handle=handle or "")
    text = (
        f'<!doctype html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;"
        "padding:0 1rem;line-height:1.5}</style></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(body)}</p></body></html>"
    )
    return web.Response(
        text=text, status=status, content_type="text/html", charset="utf-8", headers=PAGE_HEADERS
    )


async def tell_chat(
    services: Services, platforms: Mapping[str, Platform], outcome: flow.Outcome
) -> None:
    """The outcome in the user's private chat (best effort: the page says it too)."""
    assert outcome.user_id is not None
    user = await services.users.get(outcome.user_id)
    if user is None or user.private_chat_id is None:
        return
    platform = platforms.get(user.platform)
    if platform is None:
        log.warning("no running %s platform to report an OAuth outcome", user.platform)
        return
    language = negotiate(user.language, outcome.language, services.settings.default_language)
    t = translator(language)
    if outcome.connected:
        text = t("connect.oauth.done", handle=outcome.handle or "")
    else:
        text = t(f"connect.oauth.refused.{outcome.reason}")
    try:
        await platform.send(ChatRef(user.platform, user.private_chat_id, is_private=True),
                            Text(text))  # fmt: skip
    except Exception:
        log.exception("could not tell a user on %s about their Bluesky connection", user.platform)
    if outcome.connected:
        from chatbot.orgs.publish import refresh_user

        await refresh_user(services, outcome.user_id)  # organisations' rosters show it now
