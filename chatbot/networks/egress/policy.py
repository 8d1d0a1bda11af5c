"""The egress policy: where the bot may connect, decided after resolution.

`Egress` holds the operator's allow-list (``CHATBOT_EGRESS_ALLOW``), the resolver and the
bounds every outbound request shares. `Egress.vet` turns a host into the addresses a
connection may use, or raises `Refused`: the transports connect only to those addresses
(pinning), so what was checked is what is reached, whatever DNS answers next.

Rules, for every address a name resolves to (one bad address refuses the name):
- a non-global address (`addresses.is_non_global`) is refused unless allow-listed;
- plain http, and names that only mean something inside a network (``localhost``,
  ``redis``, ``*.internal``...), need every address allow-listed;
- ``localhost`` and ``*.localhost`` are loopback without asking DNS (RFC 6761).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING, Protocol

from chatbot.networks.egress.addresses import (
    IPAddress,
    IPNetwork,
    fold_host,
    in_networks,
    is_local_name,
    is_loopback_name,
    is_non_global,
    literal_address,
    parse_networks,
)

if TYPE_CHECKING:
    from chatbot.config import Settings

log = logging.getLogger(__name__)

MAX_ADDRESSES = 16  # addresses of one name considered (all are checked, a few tried)
LOOPBACK: tuple[IPAddress, ...] = (IPv4Address("127.0.0.1"), IPv6Address("::1"))


class Refused(Exception):
    """The destination is not one the bot may connect to (or it does not resolve)."""


class Resolver(Protocol):
    """Name resolution, injectable (tests use a stub that maps names to addresses)."""

    def addresses(self, host: str) -> list[IPAddress]:
        """A/AAAA answers for `host` (blocking). Raises OSError when it does not resolve."""
        ...

    async def txt(self, name: str) -> list[str]:
        """TXT strings of `name`; empty when there are none or it does not resolve."""
        ...


class SystemResolver:
    """The host's resolver (getaddrinfo, /etc/hosts included); TXT through dnspython."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout

    def addresses(self, host: str) -> list[IPAddress]:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        out: list[IPAddress] = []
        for info in infos:
            address = literal_address(str(info[4][0]))
            if address is not None and address not in out:
                out.append(address)
        return out

    async def txt(self, name: str) -> list[str]:
        import dns.asyncresolver
        from dns.exception import DNSException

        try:
            answer = await dns.asyncresolver.resolve(name, "TXT", lifetime=self.timeout)
        except DNSException:
            return []
        return [b"".join(r.strings).decode("utf-8", "replace") for r in answer][:16]


@dataclass
class Egress:
    """The policy every outbound request of the bot goes through (see the module doc)."""

    allow: tuple[IPNetwork, ...] = ()
    resolver: Resolver = field(default_factory=SystemResolver)
    max_bytes: int = 8 * 1024 * 1024  # response body, after decompression
    total_timeout: float = 60.0  # one request, redirects and body included
    max_redirects: int = 3
    ca_file: str | None = None  # trusted CAs (PEM); None: the usual public roots (tests)

    @classmethod
    def from_settings(cls, settings: Settings) -> Egress:
        return cls(allow=parse_networks(settings.egress_allow))

    @classmethod
    def allowing(cls, allow: str | Iterable[str]) -> Egress:
        """A policy with this allow-list (``"127.0.0.1,::1"``), e.g. for local servers."""
        return cls(allow=parse_networks(allow))

    def allowed(self, address: IPAddress) -> bool:
        """Inside the operator's allow-list (plain http and internal names need this)."""
        return in_networks(address, self.allow)

    def permitted(self, address: IPAddress) -> bool:
        return self.allowed(address) or not is_non_global(address)

    def http_allowed(self) -> bool:
        """Whether plain http can reach anything at all (only allow-listed hosts)."""
        return bool(self.allow)

    def vet(self, host: str, *, plain: bool) -> list[IPAddress]:
        """The addresses a connection to `host` may use; raises `Refused`. Blocking."""
        literal = literal_address(host)
        if literal is not None:
            found: list[IPAddress] = [literal]
            strict = plain
        elif is_loopback_name(host):
            found, strict = list(LOOPBACK), True
        else:
            name = fold_host(host)
            if not name or len(name) > 253:
                raise Refused("not a host name")
            try:
                found = self.resolver.addresses(name)[:MAX_ADDRESSES]
            except (OSError, UnicodeError, ValueError):
                raise Refused("does not resolve") from None
            strict = plain or is_local_name(name)
        if not found:
            raise Refused("does not resolve")
        for address in found:
            ok = self.allowed(address) if strict else self.permitted(address)
            if not ok:
                log.info("egress refused a destination (%s)", "plain http" if plain else "address")
                raise Refused("destination not allowed")
        return found

    async def avet(
        self, host: str, *, plain: bool, within: float | None = None
    ) -> list[IPAddress]:
        """`vet` off the event loop (name resolution may block), within `within` s."""
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(self.vet, host, plain=plain), within or self.total_timeout
            )
        except TimeoutError:
            raise Refused("resolution timed out") from None
