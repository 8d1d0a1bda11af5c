"""The OAuth routes: client metadata (its URL is the client_id), public keys, callback.

The callback page is small and in the language of the browser that opened it (the
person who approved, who may not be the one who asked: then the chat user's language).
After an approval it shows the one-time code to send in the chat, with a warning never
to give it to anyone (someone may have sent their own link: "verify your account"); it
never says who asked for the link. A refusal also goes to the asking chat as a message;
an approval does not (the code in the chat completes it). Any front end can answer the
callback: the approval in progress is in the shared database. The page never echoes
the query.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from chatbot.config import SUPPORTED_LANGUAGES
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
        browser = browser_language(request.headers.get("Accept-Language", ""))
        language = negotiate(browser, outcome.language, settings.default_language)
        if outcome.user_id is not None and not outcome.approved:
            await tell_chat(services, platforms, outcome)
        if outcome.approved and outcome.code:
            return code_page(
                language, outcome.code, outcome.handle or "", settings.oauth_link_ttl_s
            )
        return page(language, outcome.reason, 400)

    server.add("GET", flow.CLIENT_METADATA_PATH, metadata)
    server.add("GET", flow.JWKS_PATH, jwks)
    server.add("GET", flow.CALLBACK_PATH, callback)


def browser_language(header: str) -> str | None:
    """The first supported language an ``Accept-Language`` header lists, if any."""
    for item in header[:256].split(",")[:12]:
        short = item.split(";")[0].strip().replace("_", "-").split("-")[0].lower()
        if short in SUPPORTED_LANGUAGES:
            return short
    return None


def page(language: str, reason: str, status: int) -> web.Response:
    t = translator(negotiate(language, None))
    return _html(language, t(f"web.oauth.title.{reason}"), _p(t(f"web.oauth.body.{reason}")),
                 status)  # fmt: skip


def code_page(language: str, code: str, handle: str, ttl_s: int) -> web.Response:
    """The approval's one-time code, what to do with it, and whom never to give it to
    (`handle` is the account that approved: theirs; who asked is never shown)."""
    t = translator(negotiate(language, None))
    minutes = max(1, round(ttl_s / 60))
    body = (
        _p(t("web.oauth.body.confirm", handle=handle))
        + _p(code, "code")
        + _p(t("web.oauth.confirm.warning"), "warning")
        + _p(t.plural("web.oauth.confirm.expires", minutes))
    )
    return _html(language, t("web.oauth.title.confirm"), body, 200)


def _p(text: str, css_class: str | None = None) -> str:
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<p{attribute}>{html.escape(text)}</p>"


def _html(language: str, title: str, body: str, status: int) -> web.Response:
    text = (
        f'<!doctype html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;"
        "padding:0 1rem;line-height:1.5}"
        ".code{font:700 2.4rem ui-monospace,monospace;letter-spacing:.15em;margin:1.5rem 0}"
        ".warning{border-left:.3rem solid #c62828;padding-left:.8rem;font-weight:600}"
        f"</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return web.Response(
        text=text, status=status, content_type="text/html", charset="utf-8", headers=PAGE_HEADERS
    )


async def tell_chat(
    services: Services, platforms: Mapping[str, Platform], outcome: flow.Outcome
) -> None:
    """A refusal in the user's private chat (best effort: the page says it too)."""
    assert outcome.user_id is not None
    user = await services.users.get(outcome.user_id)
    if user is None or user.private_chat_id is None:
        return
    platform = platforms.get(user.platform)
    if platform is None:
        log.warning("no running %s platform to report an OAuth outcome", user.platform)
        return
    language = negotiate(user.language, outcome.language, services.settings.default_language)
    text = translator(language)(f"connect.oauth.refused.{outcome.reason}")
    try:
        await platform.send(ChatRef(user.platform, user.private_chat_id, is_private=True),
                            Text(text))  # fmt: skip
    except Exception:
        log.exception("could not tell a user on %s about their Bluesky connection", user.platform)
