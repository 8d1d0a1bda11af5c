"""The console: the same conversation in a terminal, and a scriptable test surface.

Each input line is one message. ``/upload PATH [PATH ...]`` stands for sending files.
Replies are printed to stdout as they are sent; pictures and files are saved in
``<data dir>/console-files`` and their path is printed. When stdin is not a terminal,
lines are read one at a time until end of input, so a conversation can be scripted; there,
a command waits for the background work of the lines before it (the matching after an
upload), so it sees what a person who waited for the answer would see::

    printf '/lang fr\\n/upload twitter.zip\\n' | chatbot console
"""

from __future__ import annotations

import asyncio
import getpass
import shlex
import shutil
import sys
from pathlib import Path
from typing import TextIO

from chatbot.cli_support import terminal_language_hint
from chatbot.conversation import Dispatcher
from chatbot.platforms.base import (
    Attachment,
    ChatRef,
    Document,
    DownloadFailed,
    Image,
    IncomingMessage,
    PlatformLimits,
    Reply,
    SentMessage,
    Text,
    UserRef,
)
from chatbot.private_files import private_dir


class ConsolePlatform:
    """Prints replies; "downloads" are local file copies."""

    name = "console"

    def __init__(self, out: TextIO, files_dir: Path) -> None:
        self.limits = PlatformLimits(
            max_download_bytes=None, max_upload_bytes=None, min_edit_interval_s=0.0, buttons=False
        )
        self._out = out
        self._files_dir = files_dir
        self._count = 0

    async def send(self, chat: ChatRef, reply: Reply) -> SentMessage:
        self._count += 1
        if isinstance(reply, Text):
            self._print(reply.text)
        elif isinstance(reply, Image):
            path = self._save(reply.name, reply.data)
            self._print(f"[image] {path}" + (f" — {reply.caption}" if reply.caption else ""))
        elif isinstance(reply, Document):
            private_dir(self._files_dir)
            path = self._files_dir / reply.name
            shutil.copyfile(reply.path, path)
            self._print(f"[file] {path}" + (f" — {reply.caption}" if reply.caption else ""))
        return SentMessage(chat, str(self._count))

    async def edit(self, sent: SentMessage, reply: Text) -> None:
        self._print(reply.text)

    async def delete(self, chat: ChatRef, message_id: str) -> bool:
        return False

    async def download(self, attachment: Attachment, dest: Path) -> Path:
        source = Path(attachment.file_id)
        try:
            await asyncio.to_thread(shutil.copyfile, source, dest)
        except OSError as exc:
            raise DownloadFailed(str(exc)) from None
        return dest

    def private_chat_link(self, user: UserRef, payload: str = "") -> str | None:
        return None

    async def open_private_chat(self, user: UserRef) -> ChatRef | None:
        return None

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        return False  # the console is one private chat: it has no groups

    async def is_chat_member(self, chat: ChatRef, user: UserRef) -> bool:
        return False

    def _save(self, name: str, data: bytes) -> Path:
        private_dir(self._files_dir)
        path = self._files_dir / name
        path.write_bytes(data)
        return path

    def _print(self, text: str) -> None:
        self._out.write(text.rstrip("\n") + "\n\n")
        self._out.flush()


def parse_line(line: str, chat: ChatRef, user: UserRef, number: int) -> list[IncomingMessage]:
    """One console line as the messages it stands for (several for a multi-file upload)."""
    text = line.strip()
    message_id = str(number)
    if not text.startswith("/"):
        return [IncomingMessage(chat, user, message_id, text=text)]
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    command, args = words[0][1:].lower(), tuple(words[1:])
    if command == "upload" and args:
        messages = []
        for raw in args:
            path = Path(raw).expanduser()
            size = path.stat().st_size if path.is_file() else None
            attachment = Attachment(str(path.resolve()), path.name, size)
            messages.append(IncomingMessage(chat, user, message_id, attachment=attachment))
        return messages
    return [IncomingMessage(chat, user, message_id, text=text, command=command, args=args)]


async def run_console(
    dispatcher: Dispatcher,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    platform: ConsolePlatform | None = None,
) -> None:
    """Run the conversation on stdin/stdout until end of input or ``/quit``."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    files_dir = dispatcher.services.settings.data_dir / "console-files"
    platform = platform or ConsolePlatform(stdout, files_dir)
    chat = ChatRef("console", "console", is_private=True)
    user = UserRef("console", _local_user(), language_hint=terminal_language_hint())
    interactive = stdin.isatty()
    number = 0
    while True:
        if interactive:
            stdout.write("> ")
            stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            break
        if not line.strip():
            continue
        if line.strip() in ("/quit", "/exit"):
            break
        number += 1
        if not interactive and not line.lstrip().startswith("/upload"):
            await dispatcher.services.jobs.idle()  # a script answers what it has read
        for message in parse_line(line, chat, user, number):
            await dispatcher.handle(platform, message)
    await dispatcher.services.jobs.idle()  # background work (matching) finishes and is shown


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "console"
