"""One scripted conversation on the console, Telegram and Matrix: the user sees the same.

Each platform runs the real bot (Telegram and Matrix as `chatbot run` subprocesses against
the Bot API emulator and a real Synapse; the console through its own line loop). The
transcripts of what the user received are normalised only for what legitimately differs
(the command prefix on Matrix, buttons versus numbered choices, progress messages that
Telegram and Matrix edit in place) and must then be identical.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.i18n import translator
from chatbot.platforms.base import ChatRef, Reply, SentMessage, Text
from chatbot.platforms.console import ConsolePlatform, run_console
from chatbot.services import Services
from handlers import build_registry
from tests.e2e.matrix.archive import make_archive
from tests.e2e.matrix.conftest import BotProcess, bot, people, synapse  # noqa: F401
from tests.e2e.matrix.driver import MatrixUser
from tests.e2e.telegram.conftest import Deployment, telegram  # noqa: F401
from tests.e2e.telegram.driver import Message, text_of

pytestmark = [pytest.mark.server, pytest.mark.slow]

FR = translator("fr")
EN = translator("en")
PROGRESS = {FR("upload.receiving"), FR("upload.reading"), FR("upload.looking_for_handles")}
CHOICE_LINE = re.compile(r"^\d+\. ")
# the chart of where the network went comes with the match counts, in the background: like
# them it may land in any step, so it is left out (shown as "")
NETCHART = {FR("netchart.caption"), EN("netchart.caption")}


def image(caption: object) -> str:
    return "" if caption in NETCHART else "[image]"


# (what the user sends, a text that ends the bot's answer)
SCRIPT: list[tuple[str, str]] = [
    ("/lang fr", FR("lang.set")),
    ("/help", FR("help.send_archive")[:30]),
    ("<archive>", "🔗"),
    ("/summary", FR("summary.chart_caption")),
    ("/forget", FR("forget.confirm")[:30]),
    ("<yes>", FR("forget.done")),
    ("/summary", EN("upload.nothing_yet")[:30]),  # forgotten: the language choice too
]


def normalise(texts: list[str]) -> list[str]:
    """Drop progress states; show choices and commands the same way on every platform."""
    shown = []
    for text in texts:
        if text in PROGRESS or text == EN("upload.looking_for_handles") or not text:
            continue
        if text == FR("match.found.searching") or text.startswith(FR("match.found.following")):
            continue  # matching runs in the background: its messages may land in any step
        lines = [
            line
            for line in text.splitlines()
            if not CHOICE_LINE.match(line) and line != FR("conversation.reply_with_number")
        ]
        text = "\n".join(lines).strip()
        shown.append(re.sub(r"(?<![\w/])!(\w)", r"/\1", text))  # Matrix shows !cmd
    return shown


# -- console ------------------------------------------------------------------------


class RecordingConsole(ConsolePlatform):
    def __init__(self, files_dir: Path) -> None:
        super().__init__(io.StringIO(), files_dir)
        self.shown: list[str] = []

    async def send(self, chat: ChatRef, reply: Reply) -> SentMessage:
        caption = getattr(reply, "caption", None)
        self.shown.append(reply.text if isinstance(reply, Text) else image(caption))
        return await super().send(chat, reply)

    async def edit(self, sent: SentMessage, reply: Text) -> None:
        self.shown.append(reply.text)


async def console_transcript(settings: Settings, archive: Path) -> list[list[str]]:
    services = await Services.start(settings)
    platform = RecordingConsole(settings.data_dir / "files")
    steps = []
    try:
        dispatcher = Dispatcher(services, build_registry())
        for sent, _ in SCRIPT:
            line = {"<archive>": f"/upload {archive}", "<yes>": "1"}.get(sent, sent)
            before = len(platform.shown)
            await run_console(dispatcher, io.StringIO(line + "\n"), io.StringIO(), platform)
            steps.append(normalise(platform.shown[before:]))
    finally:
        await services.close()
    return steps


# -- Telegram -----------------------------------------------------------------------


def telegram_transcript(deployment: Deployment, archive: Path) -> list[list[str]]:
    user = deployment.user(language_code="en")
    steps = []
    question: Message | None = None
    for sent, until in SCRIPT:
        if sent == "<archive>":
            user.send_file(archive)
        elif sent == "<yes>":
            assert question is not None
            user.press(question, "forget:yes")
        else:
            user.send(sent)
        last = user.wait_text(until, timeout=60)
        replies = user.replies(after=user.last_sent[user.user_id])
        replies = replies[: replies.index(last) + 1]
        steps.append(normalise([image(text_of(m)) if "photo" in m else text_of(m)
                                for m in replies]))  # fmt: skip
        if sent == "/forget":
            question = last
    return steps


# -- Matrix -------------------------------------------------------------------------


def matrix_text(event: Any, edits: dict[str, str]) -> str:
    content = event.source.get("content", {})
    if content.get("msgtype") == "m.image":
        return image(content.get("body"))
    return edits.get(event.event_id, getattr(event, "body", "") or "")


async def matrix_transcript(
    person: MatrixUser, bot_process: BotProcess, archive: Path
) -> list[list[str]]:
    room = await person.create_room([bot_process.user_id], direct=True, encrypted=True)
    await person.wait_joined(room, bot_process.user_id)
    greeting = EN("start.how_to_get_archive")[:40]  # the bot greets a new direct chat
    await person.wait_text(room, bot_process.user_id, greeting, 0)
    steps = []
    for sent, until in SCRIPT:
        mark = person.mark(room)
        if sent == "<archive>":
            await person.send_file(room, archive, "application/zip")
        else:
            await person.send_text(room, {"<yes>": "1"}.get(sent, sent))
        await person.wait_text(room, bot_process.user_id, until, mark, within=60)
        events = person.from_user(room, bot_process.user_id, mark)
        edits = {}
        for event in events:
            relates = event.source.get("content", {}).get("m.relates_to", {})
            if relates.get("rel_type") == "m.replace":
                edits[relates["event_id"]] = event.source["content"]["m.new_content"]["body"]
        originals = [e for e in events if e.event_id not in edits.values() and not _is_edit(e)]
        steps.append(normalise([matrix_text(e, edits) for e in originals]))
    return steps


def _is_edit(event: Any) -> bool:
    relates = event.source.get("content", {}).get("m.relates_to", {})
    return bool(relates.get("rel_type") == "m.replace")


async def test_console_telegram_and_matrix_show_the_same_conversation(
    settings: Settings,
    telegram: Deployment,  # noqa: F811
    people: Callable[[str], Awaitable[MatrixUser]],  # noqa: F811
    bot: BotProcess,  # noqa: F811
    tmp_path: Path,
) -> None:
    archive = make_archive(tmp_path / "twitter-archive.zip").path
    on_console = await console_transcript(settings, archive)
    on_telegram = await asyncio.to_thread(telegram_transcript, telegram, archive)
    on_matrix = await matrix_transcript(await people("camille"), bot, archive)

    for step, (console, tg, mx) in enumerate(zip(on_console, on_telegram, on_matrix, strict=True)):
        assert console == tg, f"step {step}: console {console} telegram {tg}"
        assert console == mx, f"step {step}: console {console} matrix {mx}"
    summary = "\n".join(on_console[2])
    assert "[image]" in summary and "📦" in summary  # the summary and its chart
    assert on_console[-1] == [EN("upload.nothing_yet")]
