"""Fixtures of the egress tests: victims on loopback, the attacker's server on 127.0.0.2,
a stub resolver, and the bot configured as production would be except for the one
"public" address (127.0.0.2) in ``CHATBOT_EGRESS_ALLOW`` and the test CA."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chatbot.config import Settings
from chatbot.services import Services
from tests.accounts.conftest import Bot
from tests.egress.kit import PUBLIC, Attacker, StubResolver, Victims, make_ca

NAMES = ["127.0.0.2", "a.example", "b.example", "c.example", "evil.example", "pds.example",
         "rebind.example", "mixed.example", "internal.attacker.example"]  # fmt: skip


@pytest.fixture
async def victims() -> AsyncIterator[Victims]:
    found = await Victims().start()
    yield found
    await found.stop()


@pytest.fixture
def resolver() -> StubResolver:
    stub = StubResolver()
    for name in ("a.example", "b.example", "c.example", "evil.example", "pds.example"):
        stub.add(name, PUBLIC)
    stub.add("internal.attacker.example", "127.0.0.1")
    stub.add("v6.attacker.example", "::1")
    stub.add("mixed.example", PUBLIC, "127.0.0.1")
    stub.add("127.0.0.1.nip.io", "127.0.0.1")
    stub.add("metadata.google.internal", "169.254.169.254")
    stub.add("redis", "172.18.0.2")
    stub.add("cgnat.attacker.example", "100.100.100.200")
    stub.add("mapped.attacker.example", "::ffff:127.0.0.1")
    stub.rebinding("rebind.example", PUBLIC, "127.0.0.1")
    return stub


@pytest.fixture
def tls(tmp_path: Path) -> tuple[Path, object]:
    folder = tmp_path / "tls"
    folder.mkdir()
    return make_ca(folder, NAMES)


@pytest.fixture
async def attacker(tls: tuple[Path, object]) -> AsyncIterator[Attacker]:
    server = Attacker()
    async with server.running(tls[1]) as running:  # type: ignore[arg-type]
        yield running


@pytest.fixture
async def bot(
    settings: Settings, attacker: Attacker, resolver: StubResolver, tls: tuple[Path, object]
) -> AsyncIterator[Bot]:
    async with _bot(settings, attacker, resolver, tls) as running:
        yield running


@pytest.fixture
async def oauth_bot(
    settings: Settings, attacker: Attacker, resolver: StubResolver, tls: tuple[Path, object]
) -> AsyncIterator[Bot]:
    """The same bot with a public web address: /connect bluesky offers the Bluesky login
    (OAuth), so the handle's PDS is asked for its authorization server."""
    public = {"public_url": "https://bot.example.org"}
    async with _bot(settings, attacker, resolver, tls, **public) as running:
        yield running


@contextlib.asynccontextmanager
async def _bot(
    settings: Settings,
    attacker: Attacker,
    resolver: StubResolver,
    tls: tuple[Path, object],
    **extra: object,
) -> AsyncIterator[Bot]:
    base = f"https://{PUBLIC}:{attacker.https_port}"
    configured = settings.model_copy(
        update={
            "matching_offline": False,
            "egress_allow": [PUBLIC],
            "bluesky_appview_url": f"{base}/appview",
            "bluesky_plc_url": f"{base}/plc",
            "x_oembed_url": f"{base}/oembed",
            **extra,
        }
    )
    services = await Services.start(configured, processes=False)
    services.egress.resolver = resolver
    services.egress.ca_file = str(tls[0])
    try:
        yield Bot(services)
    finally:
        await services.close()
