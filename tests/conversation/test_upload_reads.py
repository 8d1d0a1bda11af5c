"""A small upload is read once, names included; a large one gets its summary first, then
the second pass over the posts (issue 13: half the work per upload on exodus day)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatbot.conversation import Dispatcher
from chatbot.i18n import translator
from chatbot.platforms.base import RecordingPlatform
from handlers import archive
from tests.conversation.harness import SAMPLES, Chat, images, make_zip, texts

EN = translator("en")
MILAHU = SAMPLES / "milahu-twitter-milahu104-2026"
LOOKING = EN("upload.looking_for_handles")


@pytest.fixture
def upload(tmp_path: Path) -> Path:
    names = ("manifest.js", "follower.excerpt.js", "following.excerpt.js", "tweets.excerpt.js",
             "tweet-headers.excerpt.js", "profile.js")  # fmt: skip
    return make_zip(tmp_path / "twitter.zip",
                    {f"data/{n.replace('.excerpt', '')}": MILAHU / n for n in names})  # fmt: skip


async def test_a_small_archive_is_read_once(
    dispatcher: Dispatcher, platform: RecordingPlatform, upload: Path
) -> None:
    replies = await Chat(dispatcher, platform).upload(upload)
    shown = texts(replies)
    assert "Archive of @milahu104" in shown and images(replies)
    assert LOOKING not in shown
    assert "From your posts I recovered the names of" in shown
    assert await _names_kept(dispatcher)  # with the summary


async def test_a_large_archive_gets_its_summary_before_the_names(
    dispatcher: Dispatcher,
    platform: RecordingPlatform,
    upload: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(archive, "ONE_READ_BYTES", 0)
    shown = texts(await Chat(dispatcher, platform).upload(upload))
    summary = shown.index("Archive of @milahu104")
    assert summary < shown.index(LOOKING) < shown.index("From your posts I recovered")
    assert await _names_kept(dispatcher)


async def _names_kept(dispatcher: Dispatcher) -> bool:
    services = dispatcher.services
    user = await services.users.get_or_create("telegram", "alice")
    stored = await services.archives.load(user.id)
    return stored is not None and bool(stored.handles)
