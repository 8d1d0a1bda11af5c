"""The guarded clients on real sockets: pinning (DNS rebinding), redirects, bounds.

httpx (`http_client`, what the readers and atproto use) and requests (`requests_session`,
what Mastodon.py uses) against the attacker's server on 127.0.0.2 and a victim on
127.0.0.1, with names answered by the stub resolver.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
import requests
from aiohttp import web

from chatbot.networks.egress import (
    Egress,
    EgressRefused,
    ResponseTooLarge,
    http_client,
    requests_session,
)
from tests.egress.kit import PUBLIC, Attacker, StubResolver, Victims


@pytest.fixture
def egress(resolver: StubResolver, tls: tuple[Path, object]) -> Egress:
    policy = Egress.allowing(PUBLIC)
    policy.resolver = resolver
    policy.ca_file = str(tls[0])
    return policy


@pytest.fixture
async def twin(attacker: Attacker) -> AsyncIterator[Victims]:
    """A victim on 127.0.0.1 at the attacker's own http port: what a rebinding name reaches
    on its second resolution."""
    victim = Victims()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        victim.accepted.append(("127.0.0.1", attacker.http_port))
        writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", attacker.http_port)
    yield victim
    server.close()
    await server.wait_closed()


def _ok(attacker: Attacker) -> None:
    attacker.json("*", "/ok", {"ok": True})


async def test_httpx_connections_are_pinned_to_the_vetted_address(
    egress: Egress, attacker: Attacker, twin: Victims
) -> None:
    """rebind.example is 127.0.0.2 at the first lookup and 127.0.0.1 after: each connection
    uses the addresses its own check saw, so the second one is refused, not redirected."""
    _ok(attacker)
    url = f"http://rebind.example:{attacker.http_port}/ok"
    async with http_client(egress) as client:
        assert (await client.get(url)).json() == {"ok": True}
    async with http_client(egress) as client:  # a new connection, a new resolution
        with pytest.raises(httpx.ConnectError):
            await client.get(url)
    assert twin.accepted == []
    assert attacker.paths() == ["/ok"]


async def test_requests_connections_are_pinned_to_the_vetted_address(
    egress: Egress, attacker: Attacker, twin: Victims
) -> None:
    _ok(attacker)
    url = f"http://rebind.example:{attacker.http_port}/ok"
    session = requests_session(egress)
    assert (await asyncio.to_thread(session.get, url)).json() == {"ok": True}
    session.close()
    session = requests_session(egress)
    with pytest.raises(requests.ConnectionError):
        await asyncio.to_thread(session.get, url)
    assert twin.accepted == []
    assert attacker.paths() == ["/ok"]


async def test_no_redirect_downgrades_to_http(egress: Egress, attacker: Attacker) -> None:
    """127.0.0.2 is allow-listed (plain http may reach it) yet https -> http is refused."""
    down = f"http://{PUBLIC}:{attacker.http_port}/downgraded"
    attacker.redirect("a.example", "/start", down)
    start = f"https://a.example:{attacker.https_port}/start"
    async with http_client(egress, follow_redirects=True) as client:
        with pytest.raises(EgressRefused):
            await client.get(start)
    with pytest.raises(requests.ConnectionError):
        await asyncio.to_thread(requests_session(egress).get, start)
    assert "/downgraded" not in attacker.paths()


async def test_credentials_do_not_follow_a_redirect_to_another_host(
    egress: Egress, attacker: Attacker
) -> None:
    seen: list[dict[str, str]] = []

    async def landing(request: web.Request) -> web.Response:
        seen.append({k.lower(): v for k, v in request.headers.items()})
        return web.json_response({})

    attacker.handler("b.example", "/landing", landing)
    attacker.redirect("a.example", "/start", f"https://b.example:{attacker.https_port}/landing")
    start = f"https://a.example:{attacker.https_port}/start"
    secret = {"Authorization": "Bearer canary-token", "DPoP": "canary-proof"}
    async with http_client(egress, follow_redirects=True) as client:
        assert (await client.get(start, headers=secret)).status_code == 200
    session = requests_session(egress)
    assert (await asyncio.to_thread(session.get, start, headers=secret)).status_code == 200
    assert len(seen) == 2
    for headers in seen:
        assert "authorization" not in headers and "dpop" not in headers


async def test_redirect_hops_are_limited(egress: Egress, attacker: Attacker) -> None:
    for hop in range(6):
        attacker.redirect("*", f"/hop{hop}", f"/hop{hop + 1}")
    async with http_client(egress, follow_redirects=True) as client:
        with pytest.raises(httpx.TooManyRedirects):
            await client.get(f"https://{PUBLIC}:{attacker.https_port}/hop0")
    assert len(attacker.paths()) == egress.max_redirects + 1


async def test_bodies_are_bounded_after_decompression(egress: Egress, attacker: Attacker) -> None:
    egress.max_bytes = 1024 * 1024
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MB of zeros in ~64 KB

    async def gzipped(request: web.Request) -> web.Response:
        return web.Response(body=bomb, headers={"Content-Encoding": "gzip"})

    attacker.handler("*", "/bomb", gzipped)
    attacker.routes["*", "/big"] = (200, {}, "x" * (2 * 1024 * 1024))
    base = f"https://{PUBLIC}:{attacker.https_port}"
    async with http_client(egress) as client:
        for path in ("/bomb", "/big"):
            with pytest.raises(ResponseTooLarge):
                await client.get(base + path)
    session = requests_session(egress)
    for path in ("/bomb", "/big"):
        with pytest.raises(requests.RequestException, match="too large"):
            await asyncio.to_thread(session.get, base + path)


async def test_a_slow_server_cannot_hold_a_request(egress: Egress, attacker: Attacker) -> None:
    egress.total_timeout = 1.0

    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "100"})
        await response.prepare(request)
        for _ in range(100):
            await response.write(b"x")
            await asyncio.sleep(0.2)
        return response

    attacker.handler("*", "/slow", trickle)
    url = f"https://{PUBLIC}:{attacker.https_port}/slow"
    started = time.monotonic()
    async with http_client(egress, timeout=5.0) as client:
        with pytest.raises(httpx.TimeoutException):
            await client.get(url)
    assert time.monotonic() - started < 2.5
    started = time.monotonic()
    with pytest.raises(requests.RequestException):
        await asyncio.to_thread(requests_session(egress).get, url, timeout=5.0)
    assert time.monotonic() - started < 2.5


def test_the_lazily_loaded_clients_stay_the_functions() -> None:
    """The package loads its HTTP clients on first use (issue 13); every later import,
    from any module, still gives the function, never the submodule of the same name."""
    import chatbot.networks.egress as package

    for name in ("requests_session", "http_client", "EgressRefused", "ResponseTooLarge"):
        first, again = getattr(package, name), getattr(package, name)
        assert first is again and not isinstance(again, ModuleType), name
    assert callable(package.requests_session) and callable(package.http_client)
