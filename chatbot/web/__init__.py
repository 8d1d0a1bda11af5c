"""The bot's public web endpoint (issue 16): Bluesky OAuth, and the Telegram webhook.

`server.WebServer` is one aiohttp application on ``CHATBOT_WEB_HOST:CHATBOT_WEB_PORT``,
behind the operator's reverse proxy at ``CHATBOT_PUBLIC_URL``; `oauth_pages` adds the
client metadata, the public keys and the callback page.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatbot.config import Settings
    from chatbot.platforms.base import Platform
    from chatbot.services import Services
    from chatbot.web.server import WebServer


async def start_web(
    settings: Settings, services: Services, platforms: MutableMapping[str, Platform]
) -> WebServer | None:
    """Start the web endpoint when ``CHATBOT_PUBLIC_URL`` is set (else None).

    `platforms` may be filled later, once the chat platforms run: the callback tells
    users the outcome through them.
    """
    if not settings.public_url:
        return None
    from chatbot.oauth.confirm import purge_forever
    from chatbot.web.oauth_pages import add_oauth_routes
    from chatbot.web.server import WebServer

    server = WebServer(settings.web_host, settings.web_port)
    add_oauth_routes(server, services, platforms)
    await server.start()
    # approvals nobody confirmed in the chat: revoked and deleted once their code expires
    server.run_alongside(purge_forever(services), "oauth-purge")
    return server
