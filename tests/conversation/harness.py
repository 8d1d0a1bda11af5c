"""Drive the real dispatcher and handlers through a recording platform, as a user would."""

from __future__ import annotations

import asyncio
import zipfile
from collections.abc import Iterable
from pathlib import Path

from chatbot.conversation import Dispatcher
from chatbot.platforms.base import (
    Attachment,
    ChatRef,
    Image,
    IncomingMessage,
    RecordingPlatform,
    Reply,
    Text,
    UserRef,
)

SAMPLES = Path(__file__).resolve().parent.parent / "archive" / "samples"


class Chat:
    """One user talking to the bot in one chat; `replies()` is what that user saw."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        platform: RecordingPlatform,
        *,
        user: str = "alice",
        chat: str | None = None,
        private: bool = True,
        language_hint: str | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.platform = platform
        self.user = UserRef(platform.name, user, language_hint=language_hint)
        self.chat = ChatRef(platform.name, chat or f"dm-{user}", is_private=private)
        self._seen = 0
        self._count = 0
        self.wait_for_jobs = True

    async def say(self, text: str, *, addressed: bool = True) -> list[Reply]:
        command, args = None, ()
        if text.startswith("/"):
            words = text[1:].split()
            command, args = words[0], tuple(words[1:])
        return await self._send(text=text, command=command, args=args, addressed=addressed)

    async def upload(self, path: Path, name: str | None = None) -> list[Reply]:
        size = path.stat().st_size  # noqa: ASYNC240
        attachment = Attachment(str(path), name or path.name, size)
        return await self._send(attachment=attachment)

    async def press(self, data: str) -> list[Reply]:
        return await self._send(callback=data)

    async def _send(self, **fields: object) -> list[Reply]:
        self._count += 1
        message = IncomingMessage(self.chat, self.user, str(self._count), **fields)  # type: ignore[arg-type]
        await self.dispatcher.handle(self.platform, message)
        if self.wait_for_jobs:  # background work the message started (matching) is seen too
            await self.dispatcher.services.jobs.idle()
        return self.new_replies()

    async def wait_for(self, text: str, within_s: float = 20.0) -> list[Reply]:
        """The replies until one shows `text` (background work, such as the end of an
        upload, answers after the message that started it)."""
        seen: list[Reply] = []
        async with asyncio.timeout(within_s):
            while not any(text in r.text for r in seen if isinstance(r, Text)):
                await asyncio.sleep(0.01)
                seen += self.new_replies()
        return seen

    def new_replies(self) -> list[Reply]:
        """This chat's replies since the last call: only what was sent since is scanned (a
        scan of every reply ever sent made a looping chat quadratic, and the event loop
        it shares with the bot slow for everyone)."""
        sent = self.platform.sent
        if self._seen > len(sent):  # the platform's record was reset
            self._seen = 0
        new = [reply for chat, reply in sent[self._seen :] if chat == self.chat]
        self._seen = len(sent)
        return new


async def start_follow(chat: Chat, command: str) -> list[Reply]:
    """`/follow ...`, then "Start" on the preview it shows (nothing is followed unseen)."""
    replies = await chat.say(command)
    starts = [
        button.data
        for reply in replies
        if isinstance(reply, Text)
        for row in reply.buttons
        for button in row
        if button.data.startswith("fw:go:")
    ]
    if starts:
        replies += await chat.press(starts[-1])
    return replies


def texts(replies: Iterable[Reply]) -> str:
    return "\n".join(r.text for r in replies if isinstance(r, Text))


def images(replies: Iterable[Reply]) -> list[Image]:
    return [r for r in replies if isinstance(r, Image)]


def make_zip(path: Path, files: dict[str, Path | bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            if isinstance(content, Path):
                archive.write(content, name)
            else:
                archive.writestr(name, content)
    return path
