"""Drive the Bot API emulator as Telegram users would, over its `/_test/` HTTP API.

`Emulator` wraps one emulator process; `TelegramUser` is one person who writes in private
or in a group, sends files, presses buttons and reads what the bot answered.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

Message = dict[str, Any]


@dataclass(frozen=True)
class Group:
    """A group chat: `privacy` on means Telegram's default privacy mode for the bot."""

    chat_id: int
    title: str = "Migration club"
    privacy: bool = True

    def spec(self) -> dict[str, Any]:
        return {"id": self.chat_id, "title": self.title, "privacy": self.privacy}


def text_of(message: Message) -> str:
    return str(message.get("text") or message.get("caption") or "")


class Emulator:
    def __init__(self, root: str, bot_username: str) -> None:
        self.root = root
        self.bot_username = bot_username
        self.http = httpx.Client(base_url=root, timeout=60)

    def close(self) -> None:
        self.http.close()

    def state(self) -> dict[str, Any]:
        return dict(self.http.get("/_test/state").json())

    def messages(self, chat_id: int) -> tuple[int, list[Message]]:
        body = self.http.get(f"/_test/chats/{chat_id}").json()
        return int(body["version"]), list(body["messages"])

    def wait(
        self,
        chat_id: int,
        until: Callable[[list[Message]], bool],
        timeout: float = 20.0,
    ) -> list[Message]:
        """Every message of the chat, once `until(messages)` holds (long-polls for changes)."""
        deadline = time.monotonic() + timeout
        version, messages = self.messages(chat_id)
        while not until(messages):
            left = deadline - time.monotonic()
            if left <= 0:
                shown = [(m["message_id"], m["from_bot"], text_of(m)[:80]) for m in messages]
                raise AssertionError(f"timed out after {timeout} s; chat {chat_id}: {shown}")
            body = self.http.get(
                f"/_test/chats/{chat_id}",
                params={"after_version": version, "timeout": min(left, 5.0)},
            ).json()
            version, messages = int(body["version"]), list(body["messages"])
        return messages

    def flood(self, chat_id: int, **rule: float) -> None:
        self.http.post("/_test/flood", json={"chat_id": chat_id, **rule}).raise_for_status()

    def file_bytes(self, file_id: str) -> bytes:
        response = self.http.get(f"/_test/files/{file_id}")
        response.raise_for_status()
        return response.content


@dataclass
class TelegramUser:
    emulator: Emulator
    user_id: int
    first_name: str = "Zoé"
    language_code: str | None = "en"
    last_sent: dict[int, int] = field(default_factory=dict)  # chat id → last message id
    delivered: bool = False  # whether the bot received the last message (privacy mode)

    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"id": self.user_id, "first_name": self.first_name}
        if self.language_code:
            spec["language_code"] = self.language_code
        return spec

    def _chat_id(self, group: Group | None) -> int:
        return group.chat_id if group else self.user_id

    def _sent(self, body: dict[str, Any]) -> Message:
        assert body.get("ok"), body
        message: Message = body["message"]
        self.delivered = bool(body["delivered"])
        self.last_sent[int(message["chat"]["id"])] = int(message["message_id"])
        return message

    def send(self, text: str, group: Group | None = None, reply_to: int | None = None) -> Message:
        payload: dict[str, Any] = {"user": self.spec(), "text": text}
        if group:
            payload["chat"] = group.spec()
        if reply_to is not None:
            payload["reply_to_message_id"] = reply_to
        return self._sent(self.emulator.http.post("/_test/message", json=payload).json())

    def send_file(
        self,
        path: Path,
        group: Group | None = None,
        caption: str | None = None,
        download_delay_s: float = 0.0,
        mime: str = "application/zip",
        reply_to: int | None = None,
    ) -> Message:
        data = {"user": json.dumps(self.spec()), "download_delay_s": str(download_delay_s)}
        if reply_to is not None:
            data["reply_to_message_id"] = str(reply_to)
        if group:
            data["chat"] = json.dumps(group.spec())
        if caption:
            data["caption"] = caption
        with path.open("rb") as handle:
            response = self.emulator.http.post(
                "/_test/document", data=data, files={"document": (path.name, handle, mime)}
            )
        return self._sent(response.json())

    def press(self, message: Message, data: str) -> str:
        """Press the button with `data` under the bot's `message`; the callback query id."""
        chat_id = int(message["chat"]["id"])
        payload: dict[str, Any] = {
            "user": self.spec(),
            "message_id": message["message_id"],
            "data": data,
        }
        if chat_id < 0:
            payload["chat"] = {"id": chat_id}
        body = self.emulator.http.post("/_test/callback", json=payload).json()
        assert body.get("ok"), body
        self.last_sent[chat_id] = int(message["message_id"])
        return str(body["callback_query_id"])

    def callback_answered(self, query_id: str) -> bool:
        body = self.emulator.http.get(f"/_test/callbacks/{query_id}").json()
        return bool(body["result"]["answered"])

    def replies(self, group: Group | None = None, after: int | None = None) -> list[Message]:
        """The bot's messages in this chat after the user's last message (or `after`)."""
        chat_id = self._chat_id(group)
        since = self.last_sent.get(chat_id, 0) if after is None else after
        _, messages = self.emulator.messages(chat_id)
        return _bot_after(messages, since)

    def wait_replies(
        self,
        until: Callable[[list[Message]], bool],
        group: Group | None = None,
        after: int | None = None,
        timeout: float = 20.0,
    ) -> list[Message]:
        chat_id = self._chat_id(group)
        since = self.last_sent.get(chat_id, 0) if after is None else after
        messages = self.emulator.wait(chat_id, lambda ms: until(_bot_after(ms, since)), timeout)
        return _bot_after(messages, since)

    def wait_text(
        self,
        *needles: str,
        group: Group | None = None,
        after: int | None = None,
        timeout: float = 20.0,
    ) -> Message:
        """The first bot message (after the user's last one) whose text has every needle."""

        def match(messages: Sequence[Message]) -> Message | None:
            for message in messages:
                if all(n.lower() in text_of(message).lower() for n in needles):
                    return message
            return None

        found = self.wait_replies(
            lambda ms: match(ms) is not None, group=group, after=after, timeout=timeout
        )
        result = match(found)
        assert result is not None
        return result


def _bot_after(messages: Sequence[Message], since: int) -> list[Message]:
    return [m for m in messages if m["from_bot"] and m["message_id"] > since and not m["deleted"]]
