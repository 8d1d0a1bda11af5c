"""Session-wide local servers for tests of the network readers (and later follows, lists).

Import the fixtures into a conftest (``from tests.servers.fixtures import atproto_network``,
...). Each server is started at most once per pytest session, however many conftests
import these fixtures, and stopped by PID when the session ends. When a server cannot
start, tests fail on CI (CI=true) and skip locally, saying why (`server_unavailable`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import server_unavailable
from tests.servers.atproto import AtprotoNetwork, AtprotoUnavailable, start_network
from tests.servers.mastodon import (
    MastodonServer,
    MastodonUnavailable,
    SeedAccount,
    start_mastodon,
)

# name -> the running server, or the reason it could not start (not retried per test)
_SHARED: dict[str, Any] = {}

MASTODON_SEED = [
    SeedAccount("me", "Bot User"),
    SeedAccount(
        "alice",
        "Alice Local",
        note='<p>Formerly <a href="https://twitter.com/alice_x">@alice_x</a> on X.</p>'
        "<p>Also on Bluesky: alice.test &amp; friends</p>",
    ),
    SeedAccount("hermit", "Locked Local", locked=True),
    SeedAccount("newsbot", "News Bot", bot=True),
    SeedAccount("carol", "Carol Remote", domain="mastodon.example", note="<p>hi</p>"),
    SeedAccount("dave", "Dave", domain="fosstodon.example", locked=True),
]


def _shared(
    request: pytest.FixtureRequest, name: str, start: Callable[[], Any], stop: str = "stop"
) -> Any:
    if name not in _SHARED:
        try:
            _SHARED[name] = start()
        except (AtprotoUnavailable, MastodonUnavailable, OSError) as exc:
            _SHARED[name] = exc
        else:
            server = _SHARED[name]
            request.config.add_cleanup(getattr(server, stop))
    value = _SHARED[name]
    if isinstance(value, Exception):
        server_unavailable(f"{name}: {value}")
    return value


@pytest.fixture(scope="session")
def atproto_network(request: pytest.FixtureRequest) -> AtprotoNetwork:
    """A running @atproto/dev-env network (PLC, PDS, AppView, Ozone) on 127.0.0.1."""
    return _shared(request, "atproto", start_network)  # type: ignore[no-any-return]


def _mastodon(request: pytest.FixtureRequest, name: str, extra: str = "") -> MastodonServer:
    def start() -> MastodonServer:
        data = Path(tempfile.mkdtemp(prefix=f"chatbot-{name}-"))
        return start_mastodon(data, MASTODON_SEED, extra_config=extra)

    return _shared(request, name, start)  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def mastodon_server(request: pytest.FixtureRequest) -> MastodonServer:
    """mastodon-mock seeded with MASTODON_SEED (local and "remote" accounts)."""
    return _mastodon(request, "mastodon-mock")


@pytest.fixture(scope="session")
def mastodon_server_ratelimited(request: pytest.FixtureRequest) -> MastodonServer:
    """The same, with the mock's X-RateLimit emulation: 3 requests per 1 s window."""
    return _mastodon(
        request,
        "mastodon-mock-ratelimited",
        "[ratelimit]\nenabled = true\nlimit = 3\nwindow_seconds = 1\n",
    )
