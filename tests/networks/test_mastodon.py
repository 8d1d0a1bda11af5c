"""`MastodonLookup` against mastodon-mock (lookup, X-RateLimit) and a fediverse stand-in.

mastodon-mock 0.6.1 has no moved accounts and no federation: account migration and the
WebFinger + ActivityPub fallback are checked against `FediverseStandin` instead.
"""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator

import pytest

from chatbot.networks.http import HttpPolicy
from chatbot.networks.mastodon import MastodonLookup, normalize_acct
from chatbot.networks.types import MastodonAccount, MastodonReader, NetworkUnavailable
from tests.servers.egress import local_egress
from tests.servers.fediverse_standin import FediAccount, FediverseStandin
from tests.servers.mastodon import MastodonServer

FAST = HttpPolicy(timeout=1, connect_timeout=0.5, attempts=2, backoff_initial=0.05)


@pytest.fixture
async def lookup(mastodon_server: MastodonServer) -> AsyncIterator[MastodonLookup]:
    reader = MastodonLookup(mastodon_server.url, webfinger=False, egress=local_egress())
    yield reader
    await reader.aclose()


@pytest.fixture
async def fedi() -> AsyncIterator[FediverseStandin]:
    standin = FediverseStandin()
    standin.add(FediAccount("newme", "New Me", "<p>the new place</p>"))
    standin.add(FediAccount("oldme", "Old Me", "<p>I moved!<br>see @newme</p>", moved_to="newme"))
    standin.add(FediAccount("shy", "Shy", locked=True))
    standin.add(FediAccount("robot", "Robot", bot=True))
    standin.add(FediAccount("fortress", "Fortress", secure_mode=True))
    async with standin.running():
        yield standin


def test_the_lookup_satisfies_the_protocol() -> None:
    reader: MastodonReader = MastodonLookup("https://mastodon.example")
    assert reader is not None


def test_normalize_acct() -> None:
    assert normalize_acct("@Alice@Mastodon.Social") == ("Alice", "mastodon.social")
    assert normalize_acct("alice@127.0.0.1:3000") == ("alice", "127.0.0.1:3000")
    assert normalize_acct("alice") is None
    assert normalize_acct("https://mastodon.social/@alice") is None


@pytest.mark.server
async def test_lookup_local_account(
    mastodon_server: MastodonServer, lookup: MastodonLookup
) -> None:
    account = await lookup.lookup(f"alice@{mastodon_server.domain}")
    assert account == MastodonAccount(
        acct=f"alice@{mastodon_server.domain}",
        url=f"{mastodon_server.url}/@alice",
        display_name="Alice Local",
        note="Formerly @alice_x on X.\n\nAlso on Bluesky: alice.test & friends",
    )


@pytest.mark.server
async def test_lookup_remote_account(
    mastodon_server: MastodonServer, lookup: MastodonLookup
) -> None:
    carol = await lookup.lookup("@carol@Mastodon.Example")
    assert carol is not None
    assert carol.acct == "carol@mastodon.example"
    assert carol.display_name == "Carol Remote"
    assert carol.note == "hi"
    assert not carol.locked and carol.moved_to is None


@pytest.mark.server
async def test_locked_and_bot_accounts(
    mastodon_server: MastodonServer, lookup: MastodonLookup
) -> None:
    dave = await lookup.lookup("dave@fosstodon.example")
    hermit = await lookup.lookup(f"hermit@{mastodon_server.domain}")
    bot = await lookup.lookup(f"newsbot@{mastodon_server.domain}")
    assert dave is not None and dave.locked
    assert hermit is not None and hermit.locked and not hermit.bot
    assert bot is not None and bot.bot and not bot.locked


@pytest.mark.server
async def test_unknown_and_invalid_accounts(lookup: MastodonLookup) -> None:
    assert await lookup.lookup("nobody@nowhere.example") is None
    assert await lookup.lookup("carol@other.example") is None  # same name, other domain
    assert await lookup.lookup("not-an-acct") is None
    assert lookup.requests == 2


@pytest.mark.server
async def test_cache_hits_avoid_requests(lookup: MastodonLookup) -> None:
    await lookup.lookup("carol@mastodon.example")
    await lookup.lookup("ghost@mastodon.example")
    sent = lookup.requests
    assert await lookup.lookup("CAROL@mastodon.example") is not None
    assert await lookup.lookup("ghost@mastodon.example") is None
    assert lookup.requests == sent


@pytest.mark.server
async def test_x_ratelimit_headers_of_the_mock_are_honoured(
    mastodon_server_ratelimited: MastodonServer,
) -> None:
    """The mock allows 3 requests per 1 s window, then answers 429 with X-RateLimit-*."""
    reader = MastodonLookup(
        mastodon_server_ratelimited.url, webfinger=False, egress=local_egress()
    )
    started = time.monotonic()
    try:
        names = ["alice", "hermit", "newsbot", "me", "carol", "dave"]
        found = [await reader.lookup(f"{n}@{mastodon_server_ratelimited.domain}") for n in names]
    finally:
        await reader.aclose()
    assert [a is not None for a in found] == [True] * 4 + [False] * 2
    assert time.monotonic() - started >= 0.9  # it waited for the window instead of failing


@pytest.mark.server
async def test_rate_limited_beyond_patience_is_unavailable(
    mastodon_server_ratelimited: MastodonServer,
) -> None:
    policy = HttpPolicy(max_wait=0.1, slow_down_below=0)
    reader = MastodonLookup(
        mastodon_server_ratelimited.url, webfinger=False, policy=policy, egress=local_egress()
    )
    domain = mastodon_server_ratelimited.domain

    async def many() -> None:
        for i in range(10):
            await reader.lookup(f"user{i}@{domain}")

    try:
        with pytest.raises(NetworkUnavailable):
            await many()
    finally:
        await reader.aclose()


async def test_moved_account_from_the_instance_api(fedi: FediverseStandin) -> None:
    async with MastodonLookup(fedi.base, webfinger=False, egress=local_egress()) as reader:
        old = await reader.lookup(f"oldme@{fedi.domain}")
    assert old is not None
    assert old.moved_to == f"newme@{fedi.domain}"
    assert old.note == "I moved!\nsee @newme"


async def test_webfinger_and_actor_fallback(fedi: FediverseStandin) -> None:
    async with MastodonLookup(
        None, webfinger_scheme="http", policy=FAST, egress=local_egress()
    ) as reader:
        old = await reader.lookup(f"oldme@{fedi.domain}")
        shy = await reader.lookup(f"shy@{fedi.domain}")
        robot = await reader.lookup(f"robot@{fedi.domain}")
        fortress = await reader.lookup(f"fortress@{fedi.domain}")
        ghost = await reader.lookup(f"ghost@{fedi.domain}")
    assert old == MastodonAccount(
        acct=f"oldme@{fedi.domain}",
        url=f"{fedi.base}/@oldme",
        display_name="Old Me",
        note="I moved!\nsee @newme",
        moved_to=f"newme@{fedi.domain}",
    )
    assert shy is not None and shy.locked
    assert robot is not None and robot.bot
    # authorized-fetch servers refuse the actor: WebFinger alone still proves the account
    assert fortress == MastodonAccount(
        acct=f"fortress@{fedi.domain}", url=f"{fedi.base}/@fortress"
    )
    assert ghost is None


@pytest.mark.server
async def test_instance_miss_falls_back_to_webfinger(
    mastodon_server: MastodonServer, fedi: FediverseStandin
) -> None:
    reader = MastodonLookup(
        mastodon_server.url, webfinger_scheme="http", policy=FAST, egress=local_egress()
    )
    async with reader:
        shy = await reader.lookup(f"shy@{fedi.domain}")  # unknown to the mock
        carol = await reader.lookup("carol@mastodon.example")  # known: no WebFinger
    assert shy is not None and shy.locked
    assert carol is not None
    assert "/.well-known/webfinger" in fedi.hits


async def test_webfinger_on_a_dead_domain_is_a_miss() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with MastodonLookup(
        None, webfinger_scheme="http", policy=FAST, egress=local_egress()
    ) as reader:
        assert await reader.lookup(f"someone@127.0.0.1:{port}") is None


async def test_a_down_instance_raises_network_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    async with MastodonLookup(
        f"http://127.0.0.1:{port}", webfinger=False, egress=local_egress()
    ) as reader:
        with pytest.raises(NetworkUnavailable) as info:
            await reader.lookup("carol@mastodon.example")
    assert info.value.network == "mastodon"
    assert time.monotonic() - started < 5


async def test_webfinger_never_targets_private_addresses(fedi: FediverseStandin) -> None:
    """Domains come from bios anyone can write: no connection to loopback or private hosts
    (the egress policy, with nothing allow-listed, refuses them when connecting)."""
    async with MastodonLookup(None, webfinger_scheme="http", policy=FAST) as reader:
        for acct in (f"shy@{fedi.domain}", "a@localhost", "a@10.0.0.1", "a@[::1]:8080"):
            assert await reader.lookup(acct) is None
    assert fedi.hits == []
