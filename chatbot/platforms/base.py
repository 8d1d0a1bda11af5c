"""Platform-neutral chat types: the only chat vocabulary handlers and the engine may use.

An adapter (console, Telegram, Matrix) translates its SDK's events into an
`IncomingMessage`, hands it to the dispatcher, and turns the neutral replies
(`Text`, `Image`, `Document`) back into SDK calls. Handlers never see an SDK object.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class ChatRef:
    """Where a message came from and where replies go."""

    platform: str
    chat_id: str
    is_private: bool
    title: str | None = None


@dataclass(frozen=True)
class UserRef:
    """Who sent a message. `language_hint` is the client's language (Telegram's code)."""

    platform: str
    user_id: str
    display_name: str | None = None
    language_hint: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A file the user sent. Bytes are fetched on demand through `Platform.download`."""

    file_id: str
    name: str
    size: int | None = None
    mime_type: str | None = None


@dataclass(frozen=True)
class IncomingMessage:
    """One user event: a text, a command, a file or a button press.

    `command` is the bare command name ("match" for "/match", "/match@bot" or
    "!match"); `args` are the words after it. `callback` is set when the user pressed
    a button and holds that button's data. `addressed` says whether the bot was
    addressed (always true in a private chat; in a group only for "/cmd@bot", a reply
    to the bot or a mention).
    """

    chat: ChatRef
    user: UserRef
    message_id: str
    text: str = ""
    command: str | None = None
    args: tuple[str, ...] = ()
    attachment: Attachment | None = None
    callback: str | None = None
    addressed: bool = True
    event: str | None = None  # a chat event instead of a message: see `ChatEvent`


class ChatEvent:
    """Values of `IncomingMessage.event`: things that happen to a chat, not messages.

    Adapters deliver them with the user who caused them (who removed the bot, for
    instance) and `addressed=True`; the dispatcher hands them to the registry's
    `event_handler` and never replies to them.
    """

    BOT_REMOVED = "bot_removed"  # the bot was removed or banned from a group, or it left
    BOT_ADDED = "bot_added"  # the bot was added to (or invited into and joined) a group
    MEMBER_LEFT = "member_left"  # `user` left the group, or was removed or banned from it


@dataclass(frozen=True)
class Button:
    """An inline choice. `data` must stay under 64 bytes (Telegram's limit)."""

    label: str
    data: str

    def __post_init__(self) -> None:
        if len(self.data.encode()) > 64:
            raise ValueError(f"button data over 64 bytes: {self.data!r}")


@dataclass(frozen=True)
class Text:
    """A text reply, optionally with rows of buttons."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True)
class Image:
    """A picture (PNG) with an optional caption."""

    name: str
    data: bytes
    caption: str | None = None


@dataclass(frozen=True)
class Document:
    """A file sent to the user, read from `path`."""

    name: str
    path: Path
    caption: str | None = None
    mime_type: str = "application/octet-stream"


Reply = Text | Image | Document

# The most one event (a command, a file, a button) may make the bot send, whatever the
# handlers do with hostile input: a last line of defence (threat model §4.7; an archive
# with a 1.2M-character name once gave 295 messages).
MAX_PARTS = 4  # messages one text reply is split into at most (the rest is cut)
MAX_MESSAGES_PER_EVENT = 40
MAX_TEXT_CHARS_PER_EVENT = 64_000


def split_reply(reply: Reply, limit: int, max_parts: int = MAX_PARTS) -> list[Reply]:
    """Split a long text at line breaks so each part fits the platform's `limit`; at most
    `max_parts` parts, the last one cut with "…" when the text is longer still."""
    if not isinstance(reply, Text) or len(reply.text) <= limit:
        return [reply]
    text = reply.text[: limit * max_parts + 1]  # bound the work: the rest is cut anyway
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    parts.append(current)
    if len(parts) > max_parts or len(reply.text) > len(text):
        parts = parts[:max_parts]
        parts[-1] = parts[-1][: limit - 1] + "…"
    replies: list[Reply] = [Text(part) for part in parts[:-1]]
    return [*replies, Text(parts[-1], buttons=reply.buttons)]


@dataclass(frozen=True)
class SentMessage:
    """A handle on a message the bot sent, so it can be edited later."""

    chat: ChatRef
    message_id: str


@dataclass(frozen=True)
class PlatformLimits:
    """What the platform accepts. `None` means no known limit."""

    max_download_bytes: int | None
    max_upload_bytes: int | None
    max_text_chars: int = 4096
    min_edit_interval_s: float = 5.0
    buttons: bool = True


class TooBigToDownload(Exception):
    """The platform cannot hand the bot a file this large."""

    def __init__(self, size: int | None, limit: int) -> None:
        super().__init__(f"file of {size} bytes is over the {limit} byte limit")
        self.size = size
        self.limit = limit


class DownloadFailed(Exception):
    """The platform failed to deliver the file (network error, expired link, ...)."""


@runtime_checkable
class Platform(Protocol):
    """What every adapter provides to the conversation."""

    name: str
    limits: PlatformLimits

    async def send(self, chat: ChatRef, reply: Reply) -> SentMessage:
        """Send one reply to a chat."""

    async def edit(self, sent: SentMessage, reply: Text) -> None:
        """Replace the text (and buttons) of a message the bot sent."""

    async def delete(self, chat: ChatRef, message_id: str) -> bool:
        """Delete (or redact) a message; return False where the platform cannot."""

    async def download(self, attachment: Attachment, dest: Path) -> Path:
        """Stream an attachment to `dest`. Raise `TooBigToDownload` or `DownloadFailed`."""

    def private_chat_link(self, user: UserRef, payload: str = "") -> str | None:
        """A link that opens a private chat with the bot (a deep link), if any."""

    async def open_private_chat(self, user: UserRef) -> ChatRef | None:
        """Open (or find) a private chat with `user`; None where the bot cannot start one."""

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        """Whether `user` administers the group `chat` (Telegram: creator or administrator;
        Matrix: power level of at least 50). False when it cannot be checked."""

    async def is_chat_member(self, chat: ChatRef, user: UserRef) -> bool:
        """Whether `user` is in the group `chat` right now (Telegram: creator,
        administrator or member; Matrix: joined). False when it cannot be checked."""


@dataclass
class RecordingPlatform:
    """A platform that keeps every reply in memory; used by the console and tests."""

    name: str = "memory"
    limits: PlatformLimits = field(
        default_factory=lambda: PlatformLimits(max_download_bytes=None, max_upload_bytes=None)
    )
    sent: list[tuple[ChatRef, Reply]] = field(default_factory=list)
    edits: list[tuple[SentMessage, Text]] = field(default_factory=list)
    deleted: list[tuple[ChatRef, str]] = field(default_factory=list)
    chat_admins: set[str] = field(default_factory=set)  # user ids that administer groups
    outsiders: set[tuple[str, str]] = field(default_factory=set)  # (chat, user) not in it
    _next_id: int = 0

    async def send(self, chat: ChatRef, reply: Reply) -> SentMessage:
        self.sent.append((chat, reply))
        self._next_id += 1
        return SentMessage(chat, f"m{self._next_id}")

    async def edit(self, sent: SentMessage, reply: Text) -> None:
        self.edits.append((sent, reply))

    async def delete(self, chat: ChatRef, message_id: str) -> bool:
        self.deleted.append((chat, message_id))
        return True

    async def download(self, attachment: Attachment, dest: Path) -> Path:
        try:
            await asyncio.to_thread(shutil.copyfile, attachment.file_id, dest)
        except OSError:
            raise DownloadFailed(attachment.name) from None
        return dest

    def private_chat_link(self, user: UserRef, payload: str = "") -> str | None:
        return None

    async def open_private_chat(self, user: UserRef) -> ChatRef | None:
        return None

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        return not chat.is_private and user.user_id in self.chat_admins

    async def is_chat_member(self, chat: ChatRef, user: UserRef) -> bool:
        return not chat.is_private and (chat.chat_id, user.user_id) not in self.outsiders

    def texts(self) -> list[str]:
        """Every text sent, in order (for tests)."""
        return [r.text for _, r in self.sent if isinstance(r, Text)]


class RateLimited(Exception):
    """The platform asked us to slow down; retry after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after:.1f} s")
        self.retry_after = retry_after


class Adapter(Protocol):
    """A running connection to one chat network, started and stopped by `chatbot run`."""

    @property
    def platform(self) -> Platform:
        """The platform this adapter delivers events from and sends replies through."""

    async def start(self) -> None:
        """Connect and begin delivering events to the dispatcher (returns once running)."""

    async def stop(self) -> None:
        """Stop receiving, finish in-flight work where possible, and disconnect."""
