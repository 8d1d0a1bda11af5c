"""The AT Protocol dev network set up so its PDS accepts the bot as an OAuth client.

How the test serves the bot's client metadata under a name the PDS accepts
-------------------------------------------------------------------------
The PDS's OAuth provider (``@atproto/oauth-provider``) fetches the client metadata from
the ``client_id`` URL and the keys from ``jwks_uri``. It refuses a ``client_id`` that is
not ``https``, whose host is an IP address, or whose name is "local": one label, or a
top-level domain among ``test``, ``local``, ``localhost``, ``invalid``, ``example``
(`isLocalHostname` in ``@atproto/oauth-types``). Its fetches go through ``safeFetch``,
which in production also refuses private and loopback addresses and custom ports; the
dev-env PDS runs with ``devMode`` and ``disableSsrfProtection: true``
(``PDS_DISABLE_SSRF_PROTECTION``), which lifts those two checks but not the name rules.
So the test needs a real-looking name that resolves to this machine, and a certificate
Node trusts. It does, without touching the machine's configuration:

1. a test CA (``trustme``) issues a certificate for ``*.oauth-bot.home.arpa``
   (``home.arpa`` is reserved for local networks, RFC 8375, and is not "local" to the
   provider); Node trusts the CA through ``NODE_EXTRA_CA_CERTS``;
2. the network runs in its own mount namespace (``unshare --mount``, we are root), where
   a private copy of ``/etc/hosts`` maps ``t1.oauth-bot.home.arpa`` ... to 127.0.0.1,
   bind-mounted over ``/etc/hosts`` for that process tree only;
3. a small TLS front (`TlsFront`, a thread) listens on 127.0.0.1 with that certificate
   and forwards bytes to the bot's plain-HTTP web port, as a reverse proxy would.

Each test uses its own name (a fresh bot database means fresh client keys, and the
provider caches a client's metadata and keys by ``client_id``). The bot talks to the
PDS over plain HTTP on 127.0.0.1 (allowed by ``CHATBOT_EGRESS_ALLOW=127.0.0.1,::1``, tests only).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path

import trustme

from tests.servers.atproto import AtprotoNetwork, start_network
from tests.servers.process import free_port

DOMAIN = "oauth-bot.home.arpa"
NAMES = 64  # hosts entries t1 ... t64 (one per test)


@dataclass
class OAuthNetwork:
    """The dev network, the test CA and the TLS front of the bot's web endpoint."""

    net: AtprotoNetwork
    ca: trustme.CA
    ca_file: Path
    front: TlsFront
    web_port: int
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def public_url(self) -> str:
        """A fresh public base URL for one bot (one test)."""
        number = next(self._names)
        if number > NAMES:
            raise RuntimeError("out of test host names: raise NAMES")
        return f"https://t{number}.{DOMAIN}:{self.front.port}"

    def stop(self) -> None:
        self.front.stop()
        self.net.stop()


def start_oauth_network(work: Path) -> OAuthNetwork:
    """Start the network in a mount namespace that resolves the test names to 127.0.0.1."""
    work.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    ca_file = work / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    hosts = work / "hosts"
    names = " ".join(f"t{n}.{DOMAIN}" for n in range(1, NAMES + 1))
    original = Path("/etc/hosts").read_text()
    hosts.write_text(f"{original.rstrip()}\n127.0.0.1 {names}\n")
    hosts.chmod(0o644)
    web_port = free_port()
    front = TlsFront(ca, web_port)
    front.start()
    wrap = ["unshare", "--mount", "--propagation", "private", "--",
            "sh", "-ec", 'mount --bind "$0" /etc/hosts; exec "$@"', str(hosts)]  # fmt: skip
    try:
        net = start_network(extra_env={"NODE_EXTRA_CA_CERTS": str(ca_file)}, wrap=wrap)
    except BaseException:
        front.stop()
        raise
    return OAuthNetwork(net, ca, ca_file, front, web_port)


class TlsFront:
    """TLS on 127.0.0.1:port with a certificate for ``*.DOMAIN``, bytes to the web port."""

    def __init__(self, ca: trustme.CA, backend_port: int) -> None:
        self.backend_port = backend_port
        self.port = free_port()
        cert = ca.issue_cert(f"*.{DOMAIN}")
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self._context)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def start(self) -> None:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        future.result(timeout=10)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, ssl=self._context
        )

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.backend_port)
        except OSError:
            writer.close()
            return

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ssl.SSLError, asyncio.IncompleteReadError):
                while chunk := await source.read(65536):
                    sink.write(chunk)
                    await sink.drain()
            with contextlib.suppress(OSError, RuntimeError, ssl.SSLError):
                sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
