"""The load benchmark's simulated Telegram users (`bench_load.py`): each sends `/start`,
`/help`, a small archive and `/summary`, and waits for the replies in the emulator's state."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402

from chatbot.i18n import translator  # noqa: E402
from devtools.botapi_emulator.state import World  # noqa: E402

REPLY_TIMEOUT_S = 120.0
FIRST_USER_ID = 700_001
EN = translator("en")
ERROR_TEXTS = (
    EN("error.internal", reference="\0").split("\0")[0],
    EN("error.unavailable"),
    EN("error.slow_down", seconds=0).split("0")[0],
    EN("upload.busy"),
    EN("upload.download_failed"),
    EN("match.found.failed"),
)
Message = dict[str, Any]


@dataclass
class Results:
    help_s: list[float] = field(default_factory=list)
    summary_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def text_of(message: Message) -> str:
    return str(message.get("text") or message.get("caption") or "")


class Users:
    def __init__(self, root: str, world: World, http: aiohttp.ClientSession) -> None:
        self.root, self.world, self.http = root, world, http
        self.results = Results()

    def _bot_messages(self, chat_id: int, after: int) -> list[Message]:
        chat = self.world.chats.get(chat_id)
        if chat is None:
            return []
        return [
            m
            for number, m in chat.messages.items()
            if number > after and self.world.is_from_bot(m) and number not in chat.deleted
        ]

    async def _reply(self, chat_id: int, after: int, test: Callable[[str], bool]) -> float:
        """Wait for a bot message after `after` whose text passes `test`; its arrival time."""

        def found() -> bool:
            return any(test(text_of(m)) for m in self._bot_messages(chat_id, after))

        async with self.world.changed:
            await asyncio.wait_for(self.world.changed.wait_for(found), REPLY_TIMEOUT_S)
        return time.perf_counter()

    def _user(self, user_id: int) -> dict[str, Any]:
        return {"id": user_id, "first_name": f"User {user_id}", "language_code": "en"}

    async def _send(self, user_id: int, text: str) -> tuple[int, float]:
        payload = {"user": self._user(user_id), "text": text}
        sent = time.perf_counter()
        async with self.http.post(self.root + "/_test/message", json=payload) as response:
            body = await response.json()
        if not body.get("ok"):
            raise RuntimeError(f"HTTP {response.status}: {body}")
        return int(body["message"]["message_id"]), sent

    async def _send_file(self, user_id: int, archive: tuple[str, bytes]) -> tuple[int, float]:
        name, data = archive
        form = aiohttp.FormData()
        form.add_field("user", json.dumps(self._user(user_id)))
        form.add_field("document", data, filename=name, content_type="application/zip")
        sent = time.perf_counter()
        async with self.http.post(self.root + "/_test/document", data=form) as response:
            body = await response.json()
        if not body.get("ok"):
            raise RuntimeError(f"HTTP {response.status}: {body}")
        return int(body["message"]["message_id"]), sent

    async def run(self, user_id: int, archive: tuple[str, bytes], seed: int) -> None:
        title = f"Archive of @alice_{seed}"
        step = "/start"
        try:
            number, _ = await self._send(user_id, "/start")
            await self._reply(user_id, number, lambda t: t == EN("start.welcome"))
            step = "/help"
            number, sent = await self._send(user_id, "/help")
            self.results.help_s.append(
                await self._reply(user_id, number, lambda t: EN("help.title") in t) - sent
            )
            step = "archive"
            number, sent = await self._send_file(user_id, archive)
            self.results.summary_s.append(
                await self._reply(user_id, number, lambda t: title in t) - sent
            )
            step = "/summary"
            number, _ = await self._send(user_id, "/summary")
            await self._reply(user_id, number, lambda t: title in t)
        except TimeoutError:
            self.results.errors.append(f"user {user_id}: no reply to {step} in 120 s")
        except (aiohttp.ClientError, RuntimeError) as exc:
            self.results.errors.append(f"user {user_id}: {step}: {exc}")

    def error_replies(self, user_ids: list[int]) -> list[str]:
        found = []
        for user_id in user_ids:
            for message in self._bot_messages(user_id, 0):
                text = text_of(message)
                if any(needle in text for needle in ERROR_TEXTS):
                    found.append(f"user {user_id}: {text[:100]!r}")
        return found
