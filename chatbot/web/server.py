"""One aiohttp server for everything the bot serves publicly.

`chatbot run` starts it when ``CHATBOT_PUBLIC_URL`` is set (in every mode, the console
included) before the chat platforms, so the Telegram webhook (`telegram_webhook`) adds
its route here instead of opening a second port. Routes may be added while it runs.

Usage::

    server = WebServer("127.0.0.1", 8080)
    server.add("GET", "/oauth/jwks.json", handler)
    await server.start()
    ...
    await server.stop()
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_BODY_BYTES = 1024**2  # a Telegram update is the largest body (JSON metadata)

_running: WebServer | None = None


def shared_server() -> WebServer | None:
    """The web server this process runs, if any (the Telegram webhook joins it)."""
    return _running


class WebServer:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._routes: dict[tuple[str, str], Handler] = {}
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def add(self, method: str, path: str, handler: Handler) -> None:
        self._routes[(method.upper(), path)] = handler

    def run_alongside(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Run `work` (a periodic task of what is served here) until the server stops."""
        self._tasks.append(asyncio.create_task(work, name=name))

    def remove(self, method: str, path: str) -> None:
        self._routes.pop((method.upper(), path), None)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        method = "GET" if request.method == "HEAD" else request.method
        handler = self._routes.get((method, request.path))
        if handler is None:
            allowed = any(path == request.path for _, path in self._routes)
            return web.Response(status=405 if allowed else 404)
        return await handler(request)

    async def start(self) -> None:
        global _running
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        _running = self
        log.info("web endpoint listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        global _running
        if _running is self:
            _running = None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
