from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.platforms.base import RecordingPlatform
from chatbot.services import Services
from handlers import build_registry


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    services = await Services.start(settings, processes=False)
    yield services
    await services.close()


@pytest.fixture
def platform() -> RecordingPlatform:
    return RecordingPlatform(name="telegram")


@pytest.fixture
def dispatcher(services: Services) -> Dispatcher:
    return Dispatcher(services, build_registry())
