"""Threat model §4.7: uploads in flight share a disk allowance; beyond it, a polite refusal.

Five users send a file at the same time while the platform holds every download open;
the allowance (`CHATBOT_UPLOADS_MAX_BYTES`) fits three of them. The other two are told to
send it again later, nothing of theirs is written, and once the downloads finish the
accepted files are read and deleted.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from chatbot.conversation import Dispatcher
from chatbot.i18n import translator
from chatbot.platforms.base import Attachment, RecordingPlatform
from chatbot.services import Services
from handlers import build_registry
from tests.conversation.harness import SAMPLES, Chat, make_zip, texts

DOGSHEEP = SAMPLES / "dogsheep-twitter-to-sqlite-2019"
EN = translator("en")


class HeldDownloads(RecordingPlatform):
    """Downloads start, then wait until `release` is set (a slow network)."""

    def __init__(self, expected: int) -> None:
        super().__init__(name="telegram")
        self.release = asyncio.Event()
        self.all_started = asyncio.Event()
        self.expected = expected
        self.started = 0

    async def download(self, attachment: Attachment, dest: Path) -> Path:
        self.started += 1
        if self.started == self.expected:
            self.all_started.set()
        await self.release.wait()
        return await super().download(attachment, dest)


async def test_uploads_beyond_the_disk_allowance_are_refused(
    services: Services, tmp_path: Path
) -> None:
    files = {name: DOGSHEEP / name for name in ("account.js", "follower.js")}
    archive = make_zip(tmp_path / "twitter.zip", files)
    size = archive.stat().st_size
    services.uploads.max_bytes = 3 * size + size // 2
    platform = HeldDownloads(expected=3)
    dispatcher = Dispatcher(services, build_registry())
    chats = [Chat(dispatcher, platform, user=f"user{n}") for n in range(5)]
    sending = [asyncio.create_task(chat.upload(archive)) for chat in chats]
    await asyncio.wait_for(platform.all_started.wait(), 30)
    await asyncio.wait(sending, timeout=2)  # the refused ones are answered at once
    refused = [chat for chat, task in zip(chats, sending, strict=True) if task.done()]
    assert len(refused) == 2
    assert services.uploads.usage() <= services.uploads.max_bytes
    platform.release.set()
    await asyncio.gather(*sending)
    for chat in chats:
        shown = texts(r for c, r in platform.sent if c == chat.chat)
        if chat in refused:
            assert shown == EN("upload.disk_full")
        else:
            assert "Archive of @simonw" in shown
    assert not any(services.settings.uploads_dir.iterdir())
