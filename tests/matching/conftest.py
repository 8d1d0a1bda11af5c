"""Services with in-memory network readers, the real dispatcher and registry."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.platforms.base import RecordingPlatform
from chatbot.services import Services
from devtools.memnet import MemoryBluesky, MemoryMastodon, MemoryOembed
from handlers import build_registry


@pytest.fixture
async def net_services(settings: Settings) -> AsyncIterator[Services]:
    services = await Services.start(settings, processes=False)
    services.bluesky = MemoryBluesky()
    services.mastodon = MemoryMastodon()
    services.oembed = MemoryOembed()
    yield services
    await services.close()


@pytest.fixture
def net_dispatcher(net_services: Services) -> Dispatcher:
    return Dispatcher(net_services, build_registry())


@pytest.fixture
def telegram() -> RecordingPlatform:
    return RecordingPlatform(name="telegram")
