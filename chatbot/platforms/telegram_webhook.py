"""Telegram webhook mode: Telegram posts updates to us instead of us polling for them.

Behind a reverse proxy, `CHATBOT_TELEGRAM_WEBHOOK_URL` is the public HTTPS URL Telegram
posts to; the proxy forwards it to a small aiohttp server on
`CHATBOT_TELEGRAM_WEBHOOK_LISTEN:CHATBOT_TELEGRAM_WEBHOOK_PORT` (same path). Each request
must carry the `X-Telegram-Bot-Api-Secret-Token` header given to `setWebhook` (403
otherwise); its update goes to PTB's update queue and the answer is 200 at once, so a
slow handler never makes Telegram retry. Stopping does not delete the webhook (unless
`CHATBOT_TELEGRAM_WEBHOOK_DELETE_ON_STOP`): Telegram keeps the updates of a restart.
When the bot's web endpoint runs (``CHATBOT_PUBLIC_URL``, `chatbot.web`), the webhook is
one more route on it instead of a second server.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from chatbot.config import Settings

if TYPE_CHECKING:
    from chatbot.web.server import WebServer

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024**2  # an update is JSON metadata; files are fetched with getFile


def webhook_from_settings(
    application: Application,  # type: ignore[type-arg]
    settings: Settings,
) -> WebhookServer | None:
    """The webhook server when `CHATBOT_TELEGRAM_WEBHOOK_URL` is set; None means polling."""
    if not settings.telegram_webhook_url:
        return None
    from chatbot.secrets import webhook_secret

    return WebhookServer(
        application,
        url=settings.telegram_webhook_url,
        secret=webhook_secret(settings),
        listen=settings.telegram_webhook_listen,
        port=settings.telegram_webhook_port,
    )


class WebhookServer:
    """Receives Telegram's POSTs and feeds them to a started PTB `Application`."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        *,
        url: str,
        secret: str,
        listen: str,
        port: int,
    ) -> None:
        self._application = application
        self.url = url
        self._secret = secret.encode()
        self._listen = listen
        self._port = port
        self.path = urlsplit(url).path or "/"
        self._runner: web.AppRunner | None = None
        self._shared: WebServer | None = None

    async def start(self) -> None:
        from chatbot.web.server import shared_server

        shared = shared_server()  # the bot's web endpoint runs (CHATBOT_PUBLIC_URL): join it
        if shared is not None:
            shared.add("POST", self.path, self._receive)
            self._shared = shared
            log.info("telegram: webhook served by the web endpoint on port %d", shared.port)
            return
        app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        app.router.add_post(self.path, self._receive)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._listen, self._port).start()
        log.info("telegram: webhook server listening on port %d", self._port)

    async def stop(self) -> None:
        if self._shared is not None:
            self._shared.remove("POST", self.path)
            self._shared = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def register(self, allowed_updates: Sequence[str]) -> None:
        """`setWebhook`, keeping the updates Telegram already holds."""
        await self._application.bot.set_webhook(
            self.url,
            secret_token=self._secret.decode(),
            allowed_updates=list(allowed_updates),
            drop_pending_updates=False,
        )

    async def unregister(self) -> None:
        await self._application.bot.delete_webhook(drop_pending_updates=False)

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("telegram: webhook request with a wrong secret token refused")
            return web.Response(status=403)
        try:
            data = await request.json()
            update = Update.de_json(data, self._application.bot)
        except Exception as exc:  # malformed JSON or not an update: Telegram never sends it
            log.warning("telegram: webhook request not understood (%s)", type(exc).__name__)
            return web.Response(status=400)
        await self._application.update_queue.put(update)
        return web.Response(status=200)
