"""Fixtures of the connected-accounts tests: the local servers and a bot configured for them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.platforms.base import RecordingPlatform
from chatbot.services import Services
from handlers import build_registry
from tests.conversation.harness import Chat
from tests.servers.atproto import AtprotoNetwork
from tests.servers.egress import allow_local
from tests.servers.fixtures import atproto_network, mastodon_server

__all__ = ["atproto_network", "mastodon_server"]


@pytest.fixture
def atproto_settings(settings: Settings, atproto_network: AtprotoNetwork) -> Settings:
    """Handles and DIDs resolve on the dev network: resolveHandle on its PDS, its own PLC."""
    plc = str(atproto_network.info["plc"]).replace("localhost", "127.0.0.1")
    return allow_local(settings).model_copy(
        update={"bluesky_resolver_url": atproto_network.pds_url, "bluesky_plc_url": plc}
    )


@pytest.fixture
def identifier_settings(atproto_settings: Settings, atproto_network: AtprotoNetwork) -> Settings:
    """The dev network's handles end in ``.test`` (the default suffix here) and its PDS is
    also the entryway where e-mail addresses log in."""
    return atproto_settings.model_copy(
        update={
            "bluesky_default_handle_suffix": "test",
            "bluesky_entryway_url": atproto_network.pds_url,
            "bluesky_appview_url": atproto_network.appview_url,
        }
    )


@pytest.fixture
def mastodon_settings(settings: Settings) -> Settings:
    """mastodon-mock is plain http on 127.0.0.1: reachable through the allow-list only."""
    return allow_local(settings)


@pytest.fixture
async def bot(request: pytest.FixtureRequest) -> AsyncIterator[Bot]:
    """The bot (services, dispatcher, recording platform) with the settings the test names
    through ``@pytest.mark.parametrize("bot", ["atproto_settings"], indirect=True)``."""
    settings: Settings = request.getfixturevalue(getattr(request, "param", "settings"))
    services = await Services.start(settings, processes=False)
    try:
        yield Bot(services)
    finally:
        await services.close()


class Bot:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.platform = RecordingPlatform(name="telegram")
        self.dispatcher = Dispatcher(services, build_registry())

    def chat(self, user: str = "alice", **kwargs: object) -> Chat:
        return Chat(self.dispatcher, self.platform, user=user, **kwargs)  # type: ignore[arg-type]

    def data_files(self) -> bytes:
        """Every byte the bot wrote to its data directory (database, WAL; no key there)."""
        root: Path = self.services.settings.data_dir
        return b"".join(path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file())
