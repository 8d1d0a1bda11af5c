"""The aiohttp application and the `python -m devtools.botapi_emulator` entry point."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

from devtools.botapi_emulator.botapi import handle_file, handle_method
from devtools.botapi_emulator.control import routes
from devtools.botapi_emulator.members import member_routes
from devtools.botapi_emulator.state import WORLD, World


def build_app(
    data_dir: Path,
    *,
    local: bool = False,
    bot_username: str = "emulator_bot",
    token: str | None = None,
    allow_http_webhook: bool = False,
    webhook_retry_s: float = 1.0,
) -> web.Application:
    app = web.Application(client_max_size=4 * 1024**3)
    world = World(data_dir, bot_username=bot_username, local=local, token=token)
    world.allow_http_webhook, world.webhook_retry_s = allow_http_webhook, webhook_retry_s
    app[WORLD] = world
    app.router.add_route("*", "/bot{token}/{method}", handle_method)
    app.router.add_get("/file/bot{token}/{path:.+}", handle_file)
    app.add_routes(routes)
    app.add_routes(member_routes)
    app.on_shutdown.append(_close_world)
    return app


async def _close_world(app: web.Application) -> None:
    await app[WORLD].close()


async def serve(host: str, port: int, data_dir: Path, **options: Any) -> None:
    app = build_app(data_dir, **options)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    print(f"READY http://{host}:{bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.botapi_emulator",
        description="A Telegram Bot API emulator for tests (one bot, fake users).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--data-dir", type=Path, help="where files are kept (default: temp)")
    parser.add_argument(
        "--local", action="store_true", help="like telegram-bot-api --local: no 20 MB limit"
    )
    parser.add_argument("--bot-username", default="emulator_bot")
    parser.add_argument("--token", help="accept only this token (default: any)")
    parser.add_argument(
        "--allow-http-webhook",
        action="store_true",
        help="accept http:// webhook URLs on 127.0.0.1/localhost (the real API wants HTTPS)",
    )
    parser.add_argument(
        "--webhook-retry", type=float, default=1.0, help="seconds before a failed delivery"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="botapi-emulator-") as scratch:
        data_dir = args.data_dir or Path(scratch)
        try:
            asyncio.run(
                serve(
                    args.host,
                    args.port,
                    data_dir.resolve(),
                    local=args.local,
                    bot_username=args.bot_username,
                    token=args.token,
                    allow_http_webhook=args.allow_http_webhook,
                    webhook_retry_s=args.webhook_retry,
                )
            )
        except OSError as exc:
            print(f"botapi-emulator: {exc}", file=sys.stderr)
            return 1
    return 0
