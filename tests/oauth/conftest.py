"""Fixtures of the OAuth tests: the dev network as an OAuth provider, a bot with its web
endpoint behind a TLS front (see `tests.servers.oauth_net` for the recipe)."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chatbot.config import Settings
from chatbot.services import Services
from chatbot.web import start_web
from tests.accounts.conftest import Bot
from tests.servers.atproto import AtprotoUnavailable
from tests.servers.egress import LOCAL_ALLOW
from tests.servers.fixtures import _shared
from tests.servers.oauth_net import OAuthNetwork, start_oauth_network


@pytest.fixture(scope="session")
def oauth_network(request: pytest.FixtureRequest) -> OAuthNetwork:
    """The dev network in its own mount namespace, trusting the test CA (once a session)."""

    def start() -> OAuthNetwork:
        try:
            return start_oauth_network(Path(tempfile.mkdtemp(prefix="chatbot-oauth-")))
        except OSError as exc:
            raise AtprotoUnavailable(f"OAuth network: {exc}") from None

    return _shared(request, "atproto-oauth", start)  # type: ignore[no-any-return]


@pytest.fixture
def oauth_settings(settings: Settings, oauth_network: OAuthNetwork) -> Settings:
    net = oauth_network.net
    plc = str(net.info["plc"]).replace("localhost", "127.0.0.1")
    return settings.model_copy(
        update={
            "bluesky_resolver_url": net.pds_url,
            "bluesky_plc_url": plc,
            "bluesky_appview_url": net.appview_url,
            "public_url": oauth_network.public_url(),
            "web_host": "127.0.0.1",
            "web_port": oauth_network.web_port,
            "egress_allow": list(LOCAL_ALLOW),
        }
    )


@pytest.fixture
async def oauth_bot(request: pytest.FixtureRequest) -> AsyncIterator[Bot]:
    """The bot with its web endpoint running; outcomes go to its recording platform. Its
    settings are `oauth_settings`, or the fixture a test names through
    ``@pytest.mark.parametrize("oauth_bot", ["my_settings"], indirect=True)``."""
    settings: Settings = request.getfixturevalue(getattr(request, "param", "oauth_settings"))
    services = await Services.start(settings, processes=False)
    bot = Bot(services)
    web = await start_web(settings, services, {bot.platform.name: bot.platform})
    try:
        yield bot
    finally:
        if web is not None:
            await web.stop()
        await services.close()
