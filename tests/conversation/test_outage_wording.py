"""Issue 14 item 10: `/export` while the networks are down says what could not be done and
which command to send again (it said "send /match again" and named only Bluesky)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.i18n import translator
from chatbot.platforms.base import RecordingPlatform
from chatbot.services import Services
from devtools.memnet import MemoryBluesky, MemoryMastodon
from handlers import build_registry
from tests.conversation.harness import Chat, texts
from tests.conversation.partial import make


@pytest.fixture
async def down(settings: Settings) -> AsyncIterator[Services]:
    services = await Services.start(settings, processes=False)
    services.bluesky = MemoryBluesky(down=True)
    services.mastodon = MemoryMastodon(down=True)
    yield services
    await services.close()


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_export_during_an_outage(down: Services, tmp_path: Path, lang: str) -> None:
    upload, _ = make(tmp_path, "H")
    alice = Chat(Dispatcher(down, build_registry()), RecordingPlatform(name="telegram"),
                 language_hint=lang)  # fmt: skip
    await alice.upload(upload)
    shown = texts(await alice.say("/export"))
    t = translator(lang)  # type: ignore[arg-type]
    assert t("match.network_down", network="Bluesky", command="/export") in shown
    assert "/match" not in shown  # the command to send again is the one sent
    assert "Mastodon" in shown  # the work left undone there is said too
