"""The emulator's world: one bot, users, chats, messages, files and the update queue.

Everything is kept in memory except file contents, which live in the data directory.
Objects are stored in their Bot API JSON shape so that the HTTP layer returns them as is.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

JSON = dict[str, Any]

CLOUD_DOWNLOAD_LIMIT = 20 * 1000 * 1000
CLOUD_UPLOAD_LIMIT = 50 * 1000 * 1000
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}")


class ApiError(Exception):
    """A Bot API error: `{"ok": false, "error_code": ..., "description": ...}`."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    path: Path
    size: int
    kind: str  # "documents" or "photos": the folder of the cloud file_path
    name: str | None = None
    mime_type: str | None = None
    download_delay_s: float = 0.0


@dataclass
class FloodRule:
    """Flood control for one chat (a test knob; Telegram publishes no exact numbers).

    An edit of a message less than `edit_min_interval_s` after its previous send or edit
    fails with 429 and `retry_after`; the next `fail_sends` sends fail the same way.
    """

    edit_min_interval_s: float = 0.0
    retry_after: int = 1
    fail_sends: int = 0


@dataclass
class Chat:
    info: JSON
    privacy: bool = True
    messages: dict[int, JSON] = field(default_factory=dict)
    history: dict[int, list[JSON]] = field(default_factory=dict)  # earlier versions
    changed_at: dict[int, float] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    next_id: int = 1
    flood: FloodRule = field(default_factory=FloodRule)
    # group members by user id: "creator", "administrator", "member", "left" or "kicked"
    # (see `members`); the bot is a "member" of a group until a test removes it
    statuses: dict[int, str] = field(default_factory=dict)
    bot_status: str = "member"
    bot_can_delete: bool = True  # the bot's can_delete_messages right, when it is an admin

    @property
    def id(self) -> int:
        return int(self.info["id"])

    @property
    def is_private(self) -> bool:
        return bool(self.info["type"] == "private")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def entities(text: str) -> list[JSON]:
    """The `bot_command` and `mention` entities Telegram would attach to `text`."""
    found: list[JSON] = []
    command = _COMMAND.match(text)
    if command:
        found.append({"type": "bot_command", "offset": 0, "length": utf16_len(command[0])})
    for mention in _MENTION.finditer(text):
        offset = utf16_len(text[: mention.start()])
        found.append({"type": "mention", "offset": offset, "length": utf16_len(mention[0])})
    return found


class World:
    """The state shared by the Bot API and the test-control API."""

    def __init__(
        self, data_dir: Path, *, bot_username: str, local: bool, token: str | None = None
    ) -> None:
        self.pinned_token = token
        self.data_dir = data_dir
        self.files_dir = data_dir / "files"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self.bot_username = bot_username
        self.local = local
        self.bot_id: int | None = None
        self.users: dict[int, JSON] = {}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.callbacks: dict[str, JSON] = {}
        self.commands: dict[str, list[JSON]] = {}
        self.updates: list[JSON] = []
        self.changed = asyncio.Condition()
        self.version = 0
        self.closing = False
        self.webhook: Any = None  # a `webhook.Webhook` while one is set
        self.allow_http_webhook = False  # http:// webhooks on 127.0.0.1 (tests only)
        self.webhook_retry_s = 1.0  # first delay after a failed delivery (doubles)
        self._update_ids = itertools.count(1)
        self._file_numbers = itertools.count(1)

    # -- identities -------------------------------------------------------------------

    def bot_user(self) -> JSON:
        return {
            "id": self.bot_id or 1,
            "is_bot": True,
            "first_name": "Emulated bot",
            "username": self.bot_username,
        }

    def user(self, spec: JSON) -> JSON:
        """Create or update a (human) user from a test's description."""
        user_id = int(spec["id"])
        user = self.users.setdefault(user_id, {"id": user_id, "is_bot": False})
        user["first_name"] = str(spec.get("first_name") or user.get("first_name") or "User")
        for key in ("last_name", "username", "language_code"):
            if spec.get(key):
                user[key] = str(spec[key])
        return dict(user)

    def private_chat(self, user: JSON) -> Chat:
        chat = self.chats.get(user["id"])
        if chat is None:
            info = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
            if "username" in user:
                info["username"] = user["username"]
            chat = self.chats[user["id"]] = Chat(info)
        return chat

    def group_chat(self, chat_id: int, title: str, *, privacy: bool = True) -> Chat:
        if chat_id >= 0:
            raise bad_request("group chat ids are negative")
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = self.chats[chat_id] = Chat({"id": chat_id, "type": "group", "title": title})
        chat.privacy = privacy
        return chat

    def chat(self, chat_id: object) -> Chat:
        try:
            chat = self.chats.get(int(str(chat_id)))
        except ValueError:
            chat = None
        if chat is None:
            if str(chat_id).isdigit() and int(str(chat_id)) in self.users:
                # a person who never started the bot: it cannot write to them first
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            raise bad_request("chat not found")
        return chat

    # -- messages ---------------------------------------------------------------------

    def new_message(self, chat: Chat, sender: JSON, body: JSON) -> JSON:
        message: JSON = {
            "message_id": chat.next_id,
            "from": sender,
            "chat": dict(chat.info),
            "date": int(time.time()),
            **body,
        }
        chat.next_id += 1
        chat.messages[message["message_id"]] = message
        chat.changed_at[message["message_id"]] = time.monotonic()
        return message

    def message(self, chat: Chat, message_id: object, action: str) -> JSON:
        try:
            number = int(str(message_id))
        except ValueError:
            raise bad_request(f"message to {action} not found") from None
        message = chat.messages.get(number)
        if message is None or number in chat.deleted:
            raise bad_request(f"message to {action} not found")
        return message

    def is_from_bot(self, message: JSON) -> bool:
        return bool(message.get("from", {}).get("id") == self.bot_id)

    # -- files ------------------------------------------------------------------------

    def new_file_path(self) -> Path:
        return self.files_dir / f"upload-{secrets.token_hex(8)}"

    def add_file(self, path: Path, kind: str, name: str | None, mime: str | None) -> StoredFile:
        number = next(self._file_numbers)
        file_id = f"F{number:05d}{secrets.token_hex(10)}"
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=f"U{number:05d}",
            path=path,
            size=path.stat().st_size,
            kind=kind,
            name=name,
            mime_type=mime,
        )
        self.files[file_id] = stored
        return stored

    def cloud_file_path(self, stored: StoredFile) -> str:
        suffix = Path(stored.name or "").suffix[:10]
        return f"{stored.kind}/file_{stored.file_unique_id[1:]}{suffix}"

    def file_by_cloud_path(self, file_path: str) -> StoredFile | None:
        for stored in self.files.values():
            if self.cloud_file_path(stored) == file_path:
                return stored
        return None

    # -- updates ----------------------------------------------------------------------

    async def push_update(self, kind: str, payload: JSON) -> JSON:
        update = {"update_id": next(self._update_ids), kind: payload}
        self.updates.append(update)
        await self.touch()
        return update

    async def touch(self) -> None:
        """Wake every long poll (bot and test driver): something changed."""
        async with self.changed:
            self.version += 1
            self.changed.notify_all()

    async def wait_change(self, version: int, seconds: float) -> None:
        """Return when `self.version` moved past `version` or after `seconds`."""
        async with self.changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self.changed.wait_for(lambda: self.version > version or self.closing),
                    seconds,
                )

    async def close(self) -> None:
        """End every long poll and the webhook delivery now (the server is shutting down)."""
        self.closing = True
        await self.touch()
        task = getattr(self.webhook, "task", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


WORLD = web.AppKey("world", World)
