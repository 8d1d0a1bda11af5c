"""The whole conversation for a partial archive, pinned in each language (issue 14), so
that a change of wording shows in review as a change of these files.

The user sends a slimmed 2026 archive (no tweets.js, no tweet-headers.js, no follower.js),
then follower.js on its own, then /match. To accept a new wording on purpose, run with
CHATBOT_TEST_WRITE_TRANSCRIPTS=1 and review the diff of `transcripts/`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chatbot.conversation import Dispatcher
from chatbot.platforms.base import ChatRef, Image, RecordingPlatform, Reply, SentMessage, Text
from chatbot.services import Services
from handlers import build_registry
from tests.conversation.harness import Chat
from tests.conversation.partial import loose, make

FOLDER = Path(__file__).parent / "transcripts"


@dataclass
class TranscriptPlatform(RecordingPlatform):
    """Keeps what the user saw, in order, edits of a message included."""

    lines: list[str] = field(default_factory=list)

    async def send(self, chat: ChatRef, reply: Reply) -> SentMessage:
        if isinstance(reply, Text):
            self.lines.append(f"bot: {reply.text}")
            for row in reply.buttons:
                self.lines.append("     " + " | ".join(f"[{b.label}]" for b in row))
        elif isinstance(reply, Image):
            self.lines.append(f"bot: [image {reply.name}: {reply.caption}]")
        return await super().send(chat, reply)

    async def edit(self, sent: SentMessage, reply: Text) -> None:
        self.lines.append(f"bot (edited): {reply.text}")
        await super().edit(sent, reply)


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_partial_archive_transcript(services: Services, tmp_path: Path, lang: str) -> None:
    slim, _ = make(tmp_path, "H", drop=["tweets.js", "tweet-headers.js", "follower.js"],
                   notes=0, community=0)  # fmt: skip
    (follower,) = loose(tmp_path, "H", ["follower.js"], notes=0, community=0)
    platform = TranscriptPlatform(name="telegram")
    alice = Chat(Dispatcher(services, build_registry()), platform, language_hint=lang)
    for said, send in (
        ("[file twitter.zip]", lambda: alice.upload(slim)),
        ("[file follower.js]", lambda: alice.upload(follower)),
        ("/match", lambda: alice.say("/match")),
    ):
        platform.lines.append(f"user: {said}")
        await send()
    transcript = "\n".join(platform.lines) + "\n"
    pinned = FOLDER / f"partial-{lang}.txt"
    if os.environ.get("CHATBOT_TEST_WRITE_TRANSCRIPTS") == "1":
        pinned.write_text(transcript, encoding="utf-8")
    assert transcript == pinned.read_text(encoding="utf-8")
