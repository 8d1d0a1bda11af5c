"""requests (Mastodon.py's HTTP library) under the egress policy.

`requests_session` gives a `requests.Session` whose connections resolve the host, vet
every address (`Egress.vet`) and connect to a vetted one (TLS keeps the name for SNI and
the certificate check). Redirects: at most `Egress.max_redirects`, never from https to
http, each hop vetted again when it connects; requests itself drops Authorization when
the host changes, and DPoP and Cookie headers go with it. Bodies are bounded
(`Egress.max_bytes`, decoded) and a watchdog closes the sockets of a request that runs
past `Egress.total_timeout`. Proxies and ``.netrc`` from the environment are ignored.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection

from chatbot.networks.egress.policy import Egress, Refused

_local = threading.local()


class EgressRefusedRequest(requests.exceptions.ConnectionError):
    """A redirect the policy refuses (downgrade to http)."""


class ResponseTooLargeRequest(requests.exceptions.RequestException):
    """The body went over `Egress.max_bytes`."""


def _watch(conn: Any) -> None:
    """Remember a connection used by the current request (for the watchdog)."""
    watched = getattr(_local, "watched", None)
    if watched is not None:
        watched.append(conn)


def _kill(watched: list[Any]) -> None:
    for conn in list(watched):
        sock = getattr(conn, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _GuardedConnection:
    """Mixin for urllib3 connections: connect only to vetted addresses."""

    egress: Egress
    plain: bool

    def _new_conn(self) -> socket.socket:
        conn: Any = self
        try:
            addresses = self.egress.vet(conn._dns_host, plain=self.plain)
        except Refused:
            raise NewConnectionError(conn, "Failed to establish a new connection") from None
        error: Exception | None = None
        for address in addresses[:3]:
            try:
                return connection.create_connection(
                    (str(address), conn.port),
                    conn.timeout,
                    source_address=conn.source_address,
                    socket_options=conn.socket_options,
                )
            except TimeoutError as exc:
                error = ConnectTimeoutError(conn, f"connection timed out: {exc}")
            except OSError as exc:
                error = NewConnectionError(conn, f"Failed to establish a new connection: {exc}")
        assert error is not None
        raise error


def _pool_classes(egress: Egress) -> dict[str, type[HTTPConnectionPool]]:
    class Plain(_GuardedConnection, HTTPConnection):
        pass

    class Tls(_GuardedConnection, HTTPSConnection):
        pass

    Plain.egress, Plain.plain = egress, True
    Tls.egress, Tls.plain = egress, False

    class PlainPool(HTTPConnectionPool):
        ConnectionCls = Plain

        def _get_conn(self, timeout: float | None = None) -> Any:
            conn = super()._get_conn(timeout)
            _watch(conn)
            return conn

    class TlsPool(HTTPSConnectionPool):
        ConnectionCls = Tls

        def _get_conn(self, timeout: float | None = None) -> Any:
            conn = super()._get_conn(timeout)
            _watch(conn)
            return conn

    return {"http": PlainPool, "https": TlsPool}


class GuardedAdapter(HTTPAdapter):
    """Connections through `_GuardedConnection`; bounded body and total time."""

    def __init__(self, egress: Egress) -> None:
        self.egress = egress
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.egress)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        raise EgressRefusedRequest("proxies are not used for egress")

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, **kwargs: Any
    ) -> requests.Response:
        watched: list[Any] = []
        _local.watched = watched
        timer = threading.Timer(self.egress.total_timeout, _kill, (watched,))
        timer.daemon = True
        timer.start()
        try:
            response = super().send(request, stream=True, **kwargs)
            if not stream:
                self._read(response)
            return response
        finally:
            timer.cancel()
            _local.watched = None

    def _read(self, response: requests.Response) -> None:
        body = bytearray()
        try:
            for chunk in response.raw.stream(65536, decode_content=True):
                body += chunk
                if len(body) > self.egress.max_bytes:
                    response.close()
                    raise ResponseTooLargeRequest("response too large")
        except urllib3.exceptions.HTTPError as exc:  # cut off (watchdog) or broken
            response.close()
            raise requests.exceptions.ConnectionError(f"body not read: {exc}") from None
        response._content = bytes(body)
        response._content_consumed = True
        response.raw.release_conn()


class GuardedSession(requests.Session):
    """A `requests.Session` under the egress policy (see the module doc)."""

    def __init__(self, egress: Egress) -> None:
        super().__init__()
        self.egress = egress
        self.trust_env = False  # no proxies, no .netrc
        self.max_redirects = egress.max_redirects
        self.headers["Accept-Encoding"] = "gzip, deflate"
        if egress.ca_file:
            self.verify = egress.ca_file
        adapter = GuardedAdapter(egress)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        target = super().get_redirect_target(resp)
        https = urlsplit(resp.url).scheme == "https"
        if target and https and urlsplit(urljoin(resp.url, target)).scheme != "https":
            raise EgressRefusedRequest("redirect from https to http")
        return target

    def rebuild_auth(self, prepared_request: Any, response: requests.Response) -> None:
        super().rebuild_auth(prepared_request, response)
        if urlsplit(prepared_request.url).netloc != urlsplit(response.request.url).netloc:
            for name in ("Authorization", "DPoP", "Cookie", "Proxy-Authorization"):
                prepared_request.headers.pop(name, None)


def requests_session(egress: Egress) -> requests.Session:
    """A `requests.Session` under the egress policy (Mastodon.py's ``session=``)."""
    return GuardedSession(egress)
