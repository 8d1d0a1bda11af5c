"""A reverse proxy in front of a server (the PDS), with programmable faults, for tests.

It runs its own event loop in a thread, so a test that blocks (subprocesses, sync HTTP)
never stalls it. Every request is forwarded unchanged after `delay_s`; `fail()` makes the
next N requests whose path contains a given part answer an error instead of reaching the
server (a 429 with ``RateLimit-*`` headers, a 503...).

Usage::

    proxy = FaultProxy(pds_url).start()        # proxy.url: http://127.0.0.1:<port>
    proxy.delay_s = 0.2
    proxy.fail(429, 1, "applyWrites", headers=rate_limit_headers(reset_in_s=25))
    proxy.fail(504, 1, "applyWrites", forward=True)  # written, yet answered 504
    proxy.stop()
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from tests.servers.process import free_port

HOP_BY_HOP = {
    "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
    "proxy-authorization", "proxy-authenticate", "host", "content-length", "content-encoding",
}  # fmt: skip


def rate_limit_headers(reset_in_s: float, limit: int = 5000) -> dict[str, str]:
    """The headers of Bluesky's 429: nothing left, the reset in epoch seconds."""
    reset = int(time.time() + reset_in_s)
    return {"RateLimit-Limit": str(limit), "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(reset), "RateLimit-Policy": f"{limit};w=3600"}  # fmt: skip


@dataclass
class Fault:
    status: int
    count: int
    path_part: str
    headers: dict[str, str] = field(default_factory=dict)
    forward: bool = False  # the server gets the request; the client gets the error only
    hold_s: float = 0.0  # then the answer waits this long (a kill can land in between)


@dataclass
class Served:
    """One request the proxy answered: when, what, and with which status."""

    at: float
    method: str
    path: str
    status: int
    injected: bool


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.port = free_port()
        hostport = self.upstream.split("://", 1)[-1]
        self._upstream_addresses = [
            f"http://{hostport.replace(a, b)}".encode()
            for a, b in (("127.0.0.1", "localhost"), ("localhost", "127.0.0.1"))
        ]
        self.delay_s = 0.0
        self.served: list[Served] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail(
        self,
        status: int,
        count: int,
        path_part: str = "",
        headers: dict[str, str] | None = None,
        *,
        forward: bool = False,
        hold_s: float = 0.0,
    ) -> None:
        """The next `count` requests whose path contains `path_part` get `status`; with
        `forward`, after the server handled them (a gateway timing out after the write),
        and `hold_s` seconds later."""
        with self._lock:
            fault = Fault(status, count, path_part, dict(headers or {}), forward, hold_s)
            self._faults.append(fault)

    def count(self, path_part: str, status: int | None = None) -> int:
        with self._lock:
            return sum(
                1
                for s in self.served
                if path_part in s.path and (status is None or s.status == status)
            )

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.count > 0 and fault.path_part in path:
                    fault.count -= 1
                    return fault
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        fault = self._take_fault(request.path)
        if fault is not None:
            if fault.forward:
                await self._forward(request)
            await asyncio.sleep(fault.hold_s)
            self._record(request, fault.status, injected=True)
            body = {"error": "RateLimitExceeded" if fault.status == 429 else "Unavailable",
                    "message": f"injected {fault.status}"}  # fmt: skip
            return web.json_response(body, status=fault.status, headers=fault.headers)
        response = await self._forward(request)
        self._record(request, response.status, injected=False)
        return response

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        async with self._session.request(
            request.method,
            self.upstream + request.path_qs,
            headers=headers,
            data=await request.read(),
            allow_redirects=False,
        ) as upstream:
            body = await upstream.read()
            for address in self._upstream_addresses:  # DID documents name the server
                body = body.replace(address, self.url.encode())
            out = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
            return web.Response(status=upstream.status, body=body, headers=out)

    def _record(self, request: web.Request, status: int, *, injected: bool) -> None:
        with self._lock:
            self.served.append(Served(time.time(), request.method, request.path, status, injected))

    async def _serve(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._session = aiohttp.ClientSession()  # bodies decompressed, sent plain
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def start(self) -> FaultProxy:
        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            loop.run_until_complete(self._serve())
            self._ready.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            loop.close()

        self._thread = threading.Thread(target=run, name="fault-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fault proxy did not start")
        return self

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
