"""`XOembedClient` against the oEmbed stand-in (tests/servers/oembed_standin.py)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from chatbot.networks.http import HttpPolicy
from chatbot.networks.oembed import XOembedClient, canonical_status_url
from chatbot.networks.types import NetworkUnavailable, OembedPost, XOembed
from tests.servers.egress import local_egress
from tests.servers.oembed_standin import OembedStandin

FAST = HttpPolicy(timeout=1, connect_timeout=0.5, attempts=2, backoff_initial=0.05)


@pytest.fixture
async def standin() -> AsyncIterator[tuple[OembedStandin, str]]:
    server = OembedStandin()
    server.add_post("20", "jack", "jack", "just setting up my twttr")
    server.add_post(
        "1790000000000000001",
        "alice_x",
        "Alice & Co",
        "Verifying my Bluesky account @alice.test for @migrationbot\ncode: MIG-7K2Q "
        "https://t.co/AbCdEf",
    )
    server.add_post("1790000000000000002", "secretive", "Secretive", "hidden", protected=True)
    server.add_post("1790000000000000003", "alice_x", "Alice", "oops", deleted=True)
    async with server.running() as endpoint:
        yield server, endpoint


@pytest.fixture
async def client(standin: tuple[OembedStandin, str]) -> AsyncIterator[XOembedClient]:
    oembed = XOembedClient(standin[1], policy=FAST, egress=local_egress())
    yield oembed
    await oembed.aclose()


def test_the_client_satisfies_the_protocol() -> None:
    oembed: XOembed = XOembedClient()
    assert oembed is not None


def test_canonical_status_url() -> None:
    expected = "https://twitter.com/jack/status/20"
    assert canonical_status_url("https://x.com/jack/status/20") == expected
    assert canonical_status_url("https://mobile.twitter.com/jack/status/20?s=46&t=x") == expected
    assert canonical_status_url("https://twitter.com/jack") is None
    assert canonical_status_url("https://example.com/jack/status/20") is None


async def test_a_public_post(client: XOembedClient, standin: tuple[OembedStandin, str]) -> None:
    post = await client.post("https://x.com/alice_x/status/1790000000000000001?s=20")
    assert post == OembedPost(
        author_name="Alice & Co",
        author_url="https://twitter.com/alice_x",
        text="Verifying my Bluesky account @alice.test for @migrationbot\ncode: MIG-7K2Q "
        "https://t.co/AbCdEf",
    )
    assert standin[0].requests == ["https://twitter.com/alice_x/status/1790000000000000001"]


async def test_the_real_author_whatever_the_url_says(client: XOembedClient) -> None:
    """A URL naming another account still gives the post's real author (X resolves the id)."""
    post = await client.post("https://x.com/elonmusk/status/20")
    assert post is not None
    assert post.author_url == "https://twitter.com/jack"
    assert post.text == "just setting up my twttr"


async def test_missing_protected_deleted_and_invalid(
    client: XOembedClient, standin: tuple[OembedStandin, str]
) -> None:
    assert await client.post("https://x.com/jack/status/999") is None  # 404
    assert await client.post("https://x.com/secretive/status/1790000000000000002") is None  # 403
    assert await client.post("https://x.com/alice_x/status/1790000000000000003") is None
    assert await client.post("https://x.com/jack") is None  # not a status URL: no request
    assert len(standin[0].requests) == 3


async def test_hits_are_cached_misses_are_not(
    client: XOembedClient, standin: tuple[OembedStandin, str]
) -> None:
    await client.post("https://x.com/jack/status/20")
    await client.post("https://twitter.com/jack/status/20")
    await client.post("https://x.com/jack/status/21")
    standin[0].add_post("21", "jack", "jack", "posted just now")
    late = await client.post("https://x.com/jack/status/21")  # asked again right away
    assert late is not None and late.text == "posted just now"
    assert len(standin[0].requests) == 3


async def test_an_unreachable_endpoint_raises_network_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with XOembedClient(
        f"http://127.0.0.1:{port}/oembed", policy=FAST, egress=local_egress()
    ) as oembed:
        with pytest.raises(NetworkUnavailable) as info:
            await oembed.post("https://x.com/jack/status/20")
    assert info.value.network == "x"
