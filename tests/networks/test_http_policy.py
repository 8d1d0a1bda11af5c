"""The rate-limit / retry policy of the network readers, against a tiny scripted HTTP server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from chatbot.networks.bluesky import PublicAppView
from chatbot.networks.cache import TTLCache
from chatbot.networks.html_text import html_to_text
from chatbot.networks.http import (
    HttpPolicy,
    RateLimitedClient,
    _parse_reset,
    _parse_retry_after,
)
from chatbot.networks.types import NetworkUnavailable
from tests.servers.egress import local_egress

LOCAL = local_egress()  # the scripted server listens on 127.0.0.1
FAST = HttpPolicy(
    timeout=0.5, connect_timeout=0.5, attempts=3, backoff_initial=0.05, backoff_max=0.1
)


@dataclass
class Scripted:
    """Answers requests with the queued responses, then with the last one forever."""

    script: list[tuple[int, dict[str, str], str, float]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    url: str = ""

    def then(self, status: int, headers: dict[str, str] | None = None, body: str = "{}",
             delay: float = 0.0) -> Scripted:  # fmt: skip
        self.script.append((status, headers or {}, body, delay))
        return self

    async def handle(self, request: web.Request) -> web.Response:
        self.times.append(time.monotonic())
        self.queries.append(request.query_string)
        status, headers, body, delay = self.script[0] if len(self.script) == 1 else (
            self.script.pop(0)
        )  # fmt: skip
        if delay:
            await asyncio.sleep(delay)
        return web.Response(status=status, headers=headers, text=body,
                            content_type="application/json")  # fmt: skip


@pytest.fixture
async def scripted() -> AsyncIterator[Scripted]:
    server = Scripted()
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.url = f"http://127.0.0.1:{port}"
    yield server
    await runner.cleanup()


def closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_429_retry_after_waits_then_succeeds(scripted: Scripted) -> None:
    scripted.then(429, {"Retry-After": "1"}).then(200, body='{"ok": true}')
    client = RateLimitedClient("bluesky", scripted.url, policy=FAST, egress=LOCAL)
    response = await client.get("/x")
    await client.aclose()
    assert response.status_code == 200
    assert len(scripted.times) == 2
    assert scripted.times[1] - scripted.times[0] >= 0.95


async def test_429_ratelimit_reset_epoch_as_bluesky_sends(scripted: Scripted) -> None:
    reset = str(int(time.time()) + 2)  # Bluesky: RateLimit-Reset in epoch seconds
    scripted.then(429, {"RateLimit-Remaining": "0", "RateLimit-Reset": reset}).then(200)
    client = RateLimitedClient("bluesky", scripted.url, policy=FAST, egress=LOCAL)
    assert (await client.get("/x")).status_code == 200
    assert scripted.times[1] - scripted.times[0] >= 0.9


async def test_429_forever_gives_up_with_network_unavailable(scripted: Scripted) -> None:
    scripted.then(429, {"Retry-After": "0.1"})
    policy = HttpPolicy(rate_limit_retries=2, backoff_initial=0.01)
    client = RateLimitedClient("bluesky", scripted.url, policy=policy, egress=LOCAL)
    with pytest.raises(NetworkUnavailable, match="rate limited"):
        await client.get("/x")
    assert len(scripted.times) == 3  # the first try and 2 retries


async def test_429_with_a_long_reset_fails_at_once(scripted: Scripted) -> None:
    scripted.then(429, {"Retry-After": "3600"})
    client = RateLimitedClient(
        "bluesky", scripted.url, policy=HttpPolicy(max_wait=30), egress=LOCAL
    )
    started = time.monotonic()
    with pytest.raises(NetworkUnavailable) as info:
        await client.get("/x")
    assert time.monotonic() - started < 1
    assert info.value.network == "bluesky"


async def test_remaining_zero_delays_the_next_request_until_reset(scripted: Scripted) -> None:
    scripted.then(200, {"RateLimit-Remaining": "0", "RateLimit-Reset": "1"}).then(200)
    client = RateLimitedClient("bluesky", scripted.url, policy=FAST, egress=LOCAL)
    await client.get("/a")
    await client.get("/b")
    assert scripted.times[1] - scripted.times[0] >= 0.95


async def test_few_remaining_paces_requests_over_the_window(scripted: Scripted) -> None:
    # 2 left for the next 1 s: requests are spread 0.5 s apart instead of bursting
    scripted.then(200, {"RateLimit-Remaining": "2", "RateLimit-Reset": "1"})
    client = RateLimitedClient("bluesky", scripted.url, policy=FAST, egress=LOCAL)
    await client.get("/first")  # learns the budget
    await asyncio.gather(*(client.get(f"/{i}") for i in range(3)))
    assert scripted.times[3] - scripted.times[1] >= 0.9  # 0.5 s apart, not a burst


async def test_mastodon_x_ratelimit_headers_with_iso_reset(scripted: Scripted) -> None:
    reset = (datetime.now(UTC) + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    scripted.then(200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}).then(200)
    client = RateLimitedClient("mastodon", scripted.url, policy=FAST, egress=LOCAL)
    await client.get("/a")
    await client.get("/b")
    assert scripted.times[1] - scripted.times[0] >= 0.8


async def test_5xx_is_retried_then_succeeds(scripted: Scripted) -> None:
    scripted.then(503).then(502).then(200)
    client = RateLimitedClient("bluesky", scripted.url, policy=FAST, egress=LOCAL)
    assert (await client.get("/x")).status_code == 200
    assert len(scripted.times) == 3


async def test_5xx_forever_raises_network_unavailable(scripted: Scripted) -> None:
    scripted.then(500)
    client = RateLimitedClient("bluesky", scripted.url, policy=FAST, egress=LOCAL)
    with pytest.raises(NetworkUnavailable, match="HTTP 500"):
        await client.get("/x")
    assert len(scripted.times) == FAST.attempts


async def test_4xx_is_returned_to_the_caller(scripted: Scripted) -> None:
    scripted.then(404)
    client = RateLimitedClient("bluesky", scripted.url, policy=FAST, egress=LOCAL)
    assert (await client.get("/x")).status_code == 404
    assert len(scripted.times) == 1


async def test_timeouts_raise_network_unavailable_not_a_hang(scripted: Scripted) -> None:
    scripted.then(200, delay=5)
    client = RateLimitedClient("bluesky", scripted.url, policy=FAST, egress=LOCAL)
    started = time.monotonic()
    with pytest.raises(NetworkUnavailable, match="timeout"):
        await client.get("/x")
    assert time.monotonic() - started < 3


async def test_a_down_network_raises_quickly() -> None:
    reader = PublicAppView(f"http://127.0.0.1:{closed_port()}", egress=LOCAL)  # default policy
    started = time.monotonic()
    with pytest.raises(NetworkUnavailable) as info:
        await reader.get_profiles([f"user{i}.bsky.social" for i in range(60)])  # 3 batches
    await reader.aclose()
    assert time.monotonic() - started < 5
    assert info.value.network == "bluesky"


async def test_a_bad_actor_does_not_sink_its_batch() -> None:
    """The AppView rejects a whole getProfiles batch for one bad actor: bisect it."""

    async def handle(request: web.Request) -> web.Response:
        actors = request.query.getall("actors")
        if "bad.example" in actors:
            return web.json_response({"error": "InvalidRequest"}, status=400)
        views = [{"did": f"did:plc:{a.split('.')[0]}", "handle": a} for a in actors]
        return web.json_response({"profiles": views})

    app = web.Application()
    app.router.add_get("/xrpc/app.bsky.actor.getProfiles", handle)
    runner = web.AppRunner(app, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    reader = PublicAppView(f"http://127.0.0.1:{port}", policy=FAST, egress=LOCAL)
    try:
        found = await reader.get_profiles(["a.example", "bad.example", "c.example", "d.example"])
    finally:
        await reader.aclose()
        await runner.cleanup()
    assert [p.handle for p in found] == ["a.example", "c.example", "d.example"]


async def test_redirects_are_vetted_too(scripted: Scripted) -> None:
    """A host we may reach must not bounce us to one we may not (SSRF): every hop is
    checked by the egress policy when it connects (here 127.0.0.3 is not allow-listed)."""
    port = scripted.url.rsplit(":", 1)[1]
    scripted.then(302, {"Location": f"http://127.0.0.3:{port}/internal/secret"})
    client = RateLimitedClient("mastodon", policy=FAST, egress=LOCAL)
    with pytest.raises(NetworkUnavailable, match="connection failed"):
        await client.get(scripted.url + "/.well-known/webfinger")
    await client.aclose()
    assert all("secret" not in q for q in scripted.queries)


def test_header_parsing() -> None:
    now = 1_800_000_000.0
    assert _parse_reset("30", now) == 30
    assert _parse_reset(str(int(now) + 12), now) == 13  # epoch: +1 s for truncation
    assert _parse_reset("2027-01-15T08:00:12.000Z", datetime(
        2027, 1, 15, 8, 0, 0, tzinfo=UTC).timestamp()) == pytest.approx(12)  # fmt: skip
    assert _parse_reset("soon", now) is None
    assert _parse_retry_after("7", now) == 7
    assert _parse_retry_after("Fri, 15 Jan 2027 08:00:12 GMT", datetime(
        2027, 1, 15, 8, 0, 0, tzinfo=UTC).timestamp()) == pytest.approx(12)  # fmt: skip


def test_ttl_cache_hits_misses_and_expiry() -> None:
    now = [0.0]
    cache: TTLCache[str, int] = TTLCache(hit_ttl=100, miss_ttl=10, max_entries=2,
                                         clock=lambda: now[0])  # fmt: skip
    cache.put("a", 1)
    cache.put("missing", None)
    assert cache.get("a") == (True, 1)
    assert cache.get("missing") == (True, None)
    now[0] = 11
    assert cache.get("missing") == (False, None)  # misses expire first
    assert cache.get("a") == (True, 1)
    cache.put("b", 2)
    cache.put("c", 3)  # evicts the least recently used
    assert len(cache) == 2
    assert cache.get("a")[0] != cache.get("b")[0] or cache.get("c") == (True, 3)
    now[0] = 200
    assert cache.get("c") == (False, None)


def test_html_to_text() -> None:
    note = (
        '<p>Formerly <a href="https://twitter.com/a"><span>@</span>alice_x</a> on X.</p>'
        "<p>Line<br>two &amp; more&nbsp;here</p>"
    )
    assert html_to_text(note) == "Formerly @alice_x on X.\n\nLine\ntwo & more here"
    quote = (
        '<blockquote><p lang="en">Hi <a href="x">@bob</a><br>code: XY-12</p>&mdash; A</blockquote>'
    )
    assert html_to_text(quote, first_tag="p") == "Hi @bob\ncode: XY-12"
    assert html_to_text(None) == ""
