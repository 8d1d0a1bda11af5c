"""Fixtures of the fault tests: the local AT Protocol network, a fault proxy in front of its
PDS, the machine's PostgreSQL (`postgres_url`) and Redis (`redis_url`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.queue.conftest import postgres_url
from tests.servers.atproto import AtprotoNetwork
from tests.servers.faultproxy import FaultProxy
from tests.servers.fixtures import atproto_network

__all__ = ["atproto_network", "postgres_url"]


@pytest.fixture
def proxy(atproto_network: AtprotoNetwork) -> Iterator[FaultProxy]:
    """A fault proxy in front of the PDS, slowed down a little so a job takes seconds."""
    server = FaultProxy(atproto_network.pds_url).start()
    server.delay_s = 0.1
    yield server
    server.stop()
