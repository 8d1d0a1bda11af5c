"""httpx under the egress policy: a transport that connects only to vetted addresses.

`GuardedTransport` keeps two httpcore connection pools (https and plain http) whose
network backend resolves the host, vets every address (`Egress.vet`) and opens the TCP
connection to a vetted address; TLS then runs with the *name* as SNI and for the
certificate check, and the Host header is untouched. Nothing re-resolves the name between
the check and the connection, so DNS rebinding has nothing to rebind.

`GuardedClient` follows redirects itself: at most `Egress.max_redirects` hops, never from
https to http, every hop through the same transport (so vetted again), and Authorization,
DPoP and Cookie headers dropped when the next hop is another origin. Bodies are bounded
(`Egress.max_bytes`, after gzip/deflate decoding; other encodings are refused) and so is
the whole request (`Egress.total_timeout`). No proxy from the environment is used.
"""

from __future__ import annotations

import asyncio
import ssl
import zlib
from collections.abc import AsyncIterator, Iterable
from typing import Any

import httpcore
import httpx

from chatbot.networks.egress.policy import Egress, Refused

ACCEPT_ENCODING = "gzip, deflate"
_TIMEOUTS = (httpcore.ConnectTimeout, httpcore.ReadTimeout, httpcore.WriteTimeout)


class EgressRefused(httpx.ConnectError):
    """The policy refused the destination: callers see a connection that failed, exactly
    as for a public host that does not answer (no oracle)."""


class ResponseTooLarge(httpx.ReadError):
    """The body went over `Egress.max_bytes` (or used an encoding we do not decode): a
    network error for the SDKs on top (atproto turns it into its `NetworkError`)."""


def _map(exc: Exception, request: httpx.Request | None = None) -> Exception:
    """The httpx exception for an httpcore one (same names), keeping the message."""
    for cls in type(exc).__mro__:
        mapped = getattr(httpx, cls.__name__, None)
        if isinstance(mapped, type) and issubclass(mapped, httpx.TransportError):
            return mapped(str(exc), request=request)
    return httpx.TransportError(str(exc), request=request)


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, egress: Egress, *, plain: bool) -> None:
        self._egress = egress
        self._plain = plain
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self._egress.avet(host, plain=self._plain, within=timeout)
        except Refused as exc:
            raise EgressRefused(f"connection refused ({exc})") from None
        error: Exception | None = None
        for address in addresses[:3]:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise EgressRefused("unix sockets are not an egress destination")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _BoundedStream(httpx.AsyncByteStream):
    """The response body, decoded (gzip/deflate) and cut off past `limit` bytes."""

    def __init__(self, raw: Any, limit: int, encoding: str, request: httpx.Request) -> None:
        self._raw = raw
        self._limit = limit
        self._request = request
        self._decoder = zlib.decompressobj(47) if encoding in ("gzip", "deflate") else None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        total = 0
        try:
            async for chunk in self._raw:
                data = chunk
                while data:
                    room = self._limit - total
                    if self._decoder is not None:
                        out = self._decoder.decompress(data, room + 1)
                        data = self._decoder.unconsumed_tail
                    else:
                        out, data = data, b""
                    total += len(out)
                    if total > self._limit:
                        raise ResponseTooLarge("response too large", request=self._request)
                    if out:
                        yield out
        except zlib.error:
            raise ResponseTooLarge("undecodable body", request=self._request) from None
        except httpcore.TimeoutException as exc:
            raise _map(exc, self._request) from None
        except httpcore.NetworkError as exc:
            raise _map(exc, self._request) from None
        except httpcore.ProtocolError as exc:
            raise _map(exc, self._request) from None

    async def aclose(self) -> None:
        close = getattr(self._raw, "aclose", None)
        if close is not None:
            await close()


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that connects only where `egress` allows (see the module doc)."""

    def __init__(self, egress: Egress, *, max_connections: int = 20) -> None:
        self.egress = egress
        self._max = max_connections
        self._pools: dict[bytes, httpcore.AsyncConnectionPool] = {}

    def _pool(self, scheme: bytes) -> httpcore.AsyncConnectionPool | None:
        """The pool of a scheme, made on first use (the policy's CA file is read then)."""
        if scheme not in (b"https", b"http"):
            return None
        if scheme not in self._pools:
            common: dict[str, Any] = {
                "max_connections": self._max,
                "max_keepalive_connections": max(1, self._max // 2),
                "keepalive_expiry": 30.0,
                "network_backend": _GuardedBackend(self.egress, plain=scheme == b"http"),
            }
            if scheme == b"https":
                ca_file = self.egress.ca_file
                common["ssl_context"] = (
                    ssl.create_default_context(cafile=ca_file)
                    if ca_file
                    else httpx.create_ssl_context()
                )
            self._pools[scheme] = httpcore.AsyncConnectionPool(**common)
        return self._pools[scheme]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        pool = self._pool(request.url.raw_scheme)
        if pool is None:
            raise EgressRefused("only http and https are egress schemes", request=request)
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            response = await pool.handle_async_request(core)
        except httpx.RequestError as exc:
            exc.request = request
            raise
        except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError) as e:
            raise _map(e, request) from None
        except httpcore.UnsupportedProtocol as exc:
            raise EgressRefused(str(exc), request=request) from None
        headers = httpx.Headers(response.headers)
        encoding = headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("identity", "gzip", "deflate", ""):
            await response.aclose()
            raise ResponseTooLarge("unsupported content encoding", request=request)
        if encoding in ("gzip", "deflate"):
            del headers["content-encoding"]
            headers.pop("content-length", None)
        stream = _BoundedStream(response.stream, self.egress.max_bytes, encoding, request)
        return httpx.Response(
            status_code=response.status,
            headers=headers,
            stream=stream,
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        for pool in self._pools.values():
            await pool.aclose()


class GuardedClient(httpx.AsyncClient):
    """`httpx.AsyncClient` over `GuardedTransport`, with the redirect and time rules."""

    def __init__(
        self, egress: Egress, *, total_timeout: float | None = None, **kwargs: Any
    ) -> None:
        self.egress = egress
        self.total_timeout = total_timeout or egress.total_timeout
        headers = httpx.Headers(kwargs.pop("headers", None))
        headers.setdefault("Accept-Encoding", ACCEPT_ENCODING)
        super().__init__(
            transport=GuardedTransport(egress),
            trust_env=False,
            headers=headers,
            max_redirects=egress.max_redirects,
            **kwargs,
        )

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        default = follow_redirects is httpx.USE_CLIENT_DEFAULT
        follow = self.follow_redirects if default else bool(follow_redirects)
        try:
            async with asyncio.timeout(self.total_timeout):
                return await self._send_hops(request, stream=stream, auth=auth, follow=follow)
        except TimeoutError:
            raise httpx.ReadTimeout("total time exceeded", request=request) from None

    async def _send_hops(
        self, request: httpx.Request, *, stream: bool, auth: Any, follow: bool
    ) -> httpx.Response:
        hops = 0
        while True:
            response = await super().send(
                request, stream=stream, auth=auth, follow_redirects=False
            )
            following = response.next_request
            if not follow or following is None:
                return response
            await response.aclose()
            hops += 1
            if hops > self.egress.max_redirects:
                raise httpx.TooManyRedirects("too many redirects", request=request)
            if request.url.scheme == "https" and following.url.scheme != "https":
                raise EgressRefused("redirect from https to http", request=following)
            if _origin(following.url) != _origin(request.url):
                for name in ("authorization", "dpop", "cookie", "proxy-authorization"):
                    following.headers.pop(name, None)
            request, auth = following, None


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def http_client(
    egress: Egress,
    *,
    timeout: float = 10.0,
    connect_timeout: float = 5.0,
    headers: dict[str, str] | None = None,
    follow_redirects: bool = False,
    total_timeout: float | None = None,
) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` under the egress policy. The caller closes it.

    `total_timeout` bounds one whole request (redirects and body included); the policy's
    when None. Uploads of large blobs to a PDS get a longer one."""
    return GuardedClient(
        egress,
        total_timeout=total_timeout,
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
        headers=headers,
        follow_redirects=follow_redirects,
    )
