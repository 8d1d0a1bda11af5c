"""An in-process emulator (same event loop as the test) for the fast emulator/adapter tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from devtools.botapi_emulator.server import build_app
from devtools.botapi_emulator.state import WORLD, World

TOKEN = "777000:UnitTestToken"
BOT = "unit_bot"


@dataclass
class Running:
    root: str
    world: World
    control: httpx.AsyncClient

    async def say(
        self,
        user_id: int,
        text: str,
        chat: dict[str, Any] | None = None,
        reply_to: int | None = None,
        language_code: str = "fr",
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "user": {"id": user_id, "first_name": "Ann", "language_code": language_code},
            "text": text,
        }
        if chat:
            payload["chat"] = chat
        if reply_to:
            payload["reply_to_message_id"] = reply_to
        body: dict[str, Any] = (await self.control.post("/_test/message", json=payload)).json()
        return body

    async def upload(
        self, user_id: int, name: str, data: bytes, chat: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        fields = {"user": json.dumps({"id": user_id, "first_name": "Ann"})}
        if chat:
            fields["chat"] = json.dumps(chat)
        response = await self.control.post(
            "/_test/document", data=fields, files={"document": (name, data, "application/zip")}
        )
        body: dict[str, Any] = response.json()
        return body

    async def group(
        self,
        chat: dict[str, Any],
        creator: int,
        administrators: tuple[int, ...] = (),
        members: tuple[int, ...] = (),
    ) -> None:
        """Set a group up with its creator, administrators and members (`/_test/group`)."""
        spec: dict[str, Any] = {
            "chat": chat,
            "creator": _person(creator),
            "administrators": [_person(a) for a in administrators],
            "members": [_person(m) for m in members],
        }
        response = await self.control.post("/_test/group", json=spec)
        assert response.json()["ok"], response.text

    async def member(self, chat_id: int, user_id: int, status: str) -> None:
        spec = {"chat_id": chat_id, "user": _person(user_id), "status": status}
        response = await self.control.post("/_test/member", json=spec)
        assert response.json()["ok"], response.text

    async def bot_status(self, chat_id: int, status: str, by: int) -> dict[str, Any]:
        """Remove (`kicked`, `left`) or add back (`member`) the bot: a `my_chat_member`."""
        spec = {"chat_id": chat_id, "status": status, "by": _person(by)}
        body: dict[str, Any] = (await self.control.post("/_test/bot_status", json=spec)).json()
        assert body["ok"], body
        return body


def _person(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "first_name": f"User {user_id}", "language_code": "en"}


@asynccontextmanager
async def emulator(data_dir: Path, *, local: bool = False) -> AsyncIterator[Running]:
    app = build_app(data_dir, local=local, bot_username=BOT)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    root = f"http://127.0.0.1:{runner.addresses[0][1]}"
    async with httpx.AsyncClient(base_url=root, timeout=30) as control:
        try:
            yield Running(root, app[WORLD], control)
        finally:
            await runner.cleanup()


async def eventually(check: Callable[[], bool], within_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within_s
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
