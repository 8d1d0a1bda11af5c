"""Fixtures of the abuse tests: the real services on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from chatbot.config import Settings
from chatbot.platforms.base import RecordingPlatform
from chatbot.services import Services
from chatbot.storage.db import Database


@pytest.fixture
async def services(settings: Settings, database: Database) -> AsyncIterator[Services]:
    """The bot's services on the test database (`database` runs each test on both)."""
    url = database.engine.url.render_as_string(hide_password=False)
    services = await Services.start(
        settings.model_copy(update={"database_url": url}), processes=False
    )
    yield services
    await services.close()


@pytest.fixture
def platform() -> RecordingPlatform:
    return RecordingPlatform(name="telegram")
