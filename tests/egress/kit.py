"""The SSRF test kit of threat-model §6: victim listeners, a stub resolver, a test CA and
an attacker's HTTPS server on 127.0.0.2 (the one address these tests call "public").

Everything listens on loopback. The bot is given ``CHATBOT_EGRESS_ALLOW=127.0.0.2`` and
the test CA; names resolve through `StubResolver` (attacker names -> internal addresses,
or a rebinding name that answers the public address first and 127.0.0.1 next).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import json
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chatbot.networks.egress.addresses import IPAddress, literal_address

PUBLIC = "127.0.0.2"  # the address the tests declare public (allow-listed)
VICTIM_PORTS = (443, 80, 8081, 9000)  # bound when free, besides a random port
CANARY_PASSWORD = "canr-ypas-swrd-zz11"  # app-password shaped


# -- victims ---------------------------------------------------------------------------------


@dataclass
class Victims:
    """Raw TCP listeners that log every accepted connection and the bytes received."""

    port: int = 0  # the random port, bound on 127.0.0.1 and ::1
    ports: list[int] = field(default_factory=list)
    accepted: list[tuple[str, int]] = field(default_factory=list)
    received: bytearray = field(default_factory=bytearray)
    servers: list[asyncio.Server] = field(default_factory=list)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = writer.get_extra_info("sockname")[:2]
        self.accepted.append((host, port))
        with contextlib.suppress(Exception):
            self.received += await asyncio.wait_for(reader.read(65536), 0.5)
        writer.close()

    async def start(self) -> Victims:
        first = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = first.sockets[0].getsockname()[1]
        self.servers.append(first)
        for host, port in [("::1", self.port)] + [
            (h, p) for p in VICTIM_PORTS for h in ("127.0.0.1", "::1")
        ]:
            try:
                self.servers.append(await asyncio.start_server(self._accept, host, port))
            except OSError:
                continue
            if port not in self.ports:
                self.ports.append(port)
        return self

    def has(self, port: int) -> bool:
        return port == self.port or port in self.ports

    async def stop(self) -> None:
        for server in self.servers:
            server.close()
        await asyncio.gather(*(s.wait_closed() for s in self.servers))

    def assert_untouched(self) -> None:
        assert self.accepted == [], f"internal listeners were reached: {self.accepted}"
        assert CANARY_PASSWORD.encode() not in bytes(self.received)


def closed_port(host: str = PUBLIC) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


# -- resolver --------------------------------------------------------------------------------


@dataclass
class StubResolver:
    """Names -> addresses (a list of answers per name: one per call, the last repeats)."""

    answers: dict[str, list[list[str]]] = field(default_factory=dict)
    txt_records: dict[str, list[str]] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, *addresses: str) -> StubResolver:
        self.answers[name] = [list(addresses)]
        return self

    def rebinding(self, name: str, first: str, then: str) -> StubResolver:
        self.answers[name] = [[first], [then]]
        return self

    def addresses(self, host: str) -> list[IPAddress]:
        sequence = self.answers.get(host.lower())
        if sequence is None:
            raise OSError(f"NXDOMAIN {host}")
        turn = self.calls.get(host, 0)
        self.calls[host] = turn + 1
        found = [literal_address(a) for a in sequence[min(turn, len(sequence) - 1)]]
        return [a for a in found if a is not None]

    async def txt(self, name: str) -> list[str]:
        return list(self.txt_records.get(name.lower(), []))


# -- a test CA and the attacker's HTTPS server ------------------------------------------------


def make_ca(folder: Path, names: list[str]) -> tuple[Path, ssl.SSLContext]:
    """A CA file for the bot, and the server context of a certificate for `names`."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "egress test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = []
    for name in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file, key_file = folder / "leaf.pem", folder / "leaf.key"
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return ca_file, context


Handler = Callable[[web.Request], web.StreamResponse]


@dataclass
class Attacker:
    """An HTTPS (and a plain http) server on 127.0.0.2 answering per (host, path)."""

    routes: dict[tuple[str, str], Any] = field(default_factory=dict)
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # method, host, path
    bodies: bytearray = field(default_factory=bytearray)
    https_port: int = 0
    http_port: int = 0

    def json(self, host: str, path: str, data: Any, status: int = 200) -> None:
        self.routes[host, path] = (status, {"Content-Type": "application/json"}, json.dumps(data))

    def redirect(self, host: str, path: str, location: str, status: int = 302) -> None:
        self.routes[host, path] = (status, {"Location": location}, "")

    def handler(self, host: str, path: str, handle: Handler) -> None:
        self.routes[host, path] = handle

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        host = (request.host or "").rsplit(":", 1)[0].strip("[]").lower()
        self.seen.append((request.method, host, request.path))
        self.bodies += await request.read()
        route = self.routes.get((host, request.path)) or self.routes.get(("*", request.path))
        if route is None:
            return web.Response(status=404, text="{}", content_type="application/json")
        if callable(route):
            return await route(request)  # type: ignore[no-any-return]
        status, headers, body = route
        return web.Response(status=status, headers=headers, text=body)

    def paths(self) -> list[str]:
        return [path for _, _, path in self.seen]

    @contextlib.asynccontextmanager
    async def running(self, context: ssl.SSLContext) -> AsyncIterator[Attacker]:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, shutdown_timeout=0.2)
        await runner.setup()
        https = web.TCPSite(runner, PUBLIC, 0, ssl_context=context)
        http = web.TCPSite(runner, PUBLIC, 0)
        await https.start()
        await http.start()
        ports = [a[1] for a in runner.addresses]
        self.https_port, self.http_port = ports[0], ports[1]
        try:
            yield self
        finally:
            await runner.cleanup()
