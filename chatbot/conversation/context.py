"""What a handler receives: the event, the user's language, replies, progress, services."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chatbot.i18n import Translator
from chatbot.platforms.base import (
    MAX_MESSAGES_PER_EVENT,
    MAX_TEXT_CHARS_PER_EVENT,
    Button,
    ChatRef,
    IncomingMessage,
    Platform,
    RateLimited,
    Reply,
    SentMessage,
    Text,
    split_reply,
)

if TYPE_CHECKING:
    from chatbot.services import Services
    from chatbot.storage.users import UserRecord

log = logging.getLogger(__name__)


@dataclass
class Context:
    """One event being handled. Replies go back to the chat the event came from."""

    message: IncomingMessage
    platform: Platform
    services: Services
    user: UserRecord
    t: Translator
    sent: list[SentMessage] = field(default_factory=list)
    # callback data behind the numbers shown so far while handling this event: several
    # questions in one answer (a page of matches) are numbered 1-2, 3-4, ... not 1-2, 1-2
    choices: list[str] = field(default_factory=list)
    text_chars: int = 0  # characters of text sent while handling this event

    @property
    def chat(self) -> ChatRef:
        return self.message.chat

    @property
    def args(self) -> tuple[str, ...]:
        return self.message.args

    @property
    def user_key(self) -> tuple[str, str]:
        """(platform, user id): the key of this user's pending steps and state."""
        return (self.platform.name, self.message.user.user_id)

    async def private_chat(self) -> ChatRef | None:
        """The sender's private chat with the bot, where one is known or can be opened."""
        if self.chat.is_private:
            return self.chat
        if self.user.private_chat_id:
            return ChatRef(self.platform.name, self.user.private_chat_id, is_private=True)
        return await self.platform.open_private_chat(self.message.user)

    async def reply(self, reply: Reply, chat: ChatRef | None = None) -> SentMessage:
        """Send a reply; buttons become numbered choices where the platform has none.

        One event sends at most `MAX_MESSAGES_PER_EVENT` messages and
        `MAX_TEXT_CHARS_PER_EVENT` characters of text; beyond, replies are dropped (and
        logged): no input makes one command flood a chat."""
        target = chat or self.chat
        if isinstance(reply, Text) and reply.buttons and not self.platform.limits.buttons:
            reply = await self._numbered_choices(target, reply)
        for part in split_reply(reply, self.platform.limits.max_text_chars):
            size = len(part.text) if isinstance(part, Text) else 0
            if self.sent and (
                len(self.sent) >= MAX_MESSAGES_PER_EVENT
                or self.text_chars + size > MAX_TEXT_CHARS_PER_EVENT
            ):
                log.warning("reply dropped: one event reached its output bound")
                return self.sent[-1]
            sent = await self.platform.send(target, part)
            self.sent.append(sent)
            self.text_chars += size
        return sent

    async def say(self, key: str, /, **params: object) -> SentMessage:
        """Reply with one translated message."""
        return await self.reply(Text(self.t(key, **params)))

    async def ask(self, text: str, choices: list[tuple[str, str]]) -> SentMessage:
        """Ask the user to choose: `choices` are (label, callback data) pairs."""
        rows = tuple((Button(label, data),) for label, data in choices)
        return await self.reply(Text(text, buttons=rows))

    def progress(self, interval_s: float | None = None) -> Progress:
        """A message edited in place, no more often than the platform tolerates."""
        return Progress(self, interval_s or self.platform.limits.min_edit_interval_s)

    async def _numbered_choices(self, chat: ChatRef, reply: Text) -> Text:
        options = [button for row in reply.buttons for button in row]
        first = len(self.choices) + 1
        self.choices.extend(button.data for button in options)
        await self.services.chat_state.remember_choices(
            self.platform.name, chat.chat_id, self.message.user.user_id, list(self.choices)
        )
        lines = [reply.text, ""]
        lines += [f"{number}. {button.label}" for number, button in enumerate(options, first)]
        lines.append(self.t("conversation.reply_with_number"))
        return Text("\n".join(lines))


class Progress:
    """A progress message: the first update sends it, later ones edit it (throttled)."""

    def __init__(self, ctx: Context, interval_s: float) -> None:
        self._ctx = ctx
        self._interval = interval_s
        self._sent: SentMessage | None = None
        self._last_text = ""
        self._next_edit = 0.0

    async def update(self, text: str, *, force: bool = False) -> None:
        """Show `text`; skipped when unchanged or too soon after the previous edit."""
        now = time.monotonic()
        if text == self._last_text or (not force and now < self._next_edit):
            return
        try:
            if self._sent is None:
                self._sent = await self._ctx.reply(Text(text))
            else:
                await self._ctx.platform.edit(self._sent, Text(text))
        except RateLimited as exc:
            self._next_edit = now + exc.retry_after
            log.info("progress edit postponed by %.1f s", exc.retry_after)
            return
        self._last_text = text
        self._next_edit = now + self._interval

    async def done(self, text: str) -> None:
        """The final state: shown even when the previous edit was moments ago."""
        await self.update(text, force=True)
        if self._last_text != text:  # the edit was refused: send it as a new message
            self._sent = await self._ctx.reply(Text(text))
            self._last_text = text
