"""Which IP addresses the bot may connect to, and every way a host can spell one.

The ranges are the IANA special-purpose ones of threat-model §4.1 (RFC 6890 and its
updates). Two IPv6 forms only *carry* an IPv4 address: IPv4-mapped (``::ffff:0:0/96``,
what a dual-stack socket reaches) and the well-known NAT64 prefix (``64:ff9b::/96``,
what a DNS64 network hands out for every IPv4-only host). They are judged by the IPv4
address they carry, so ``[::ffff:127.0.0.1]`` and ``[64:ff9b::7f00:1]`` are loopback
while an IPv6-only host behind DNS64 can still reach public servers. The other
embedding forms (6to4, Teredo, the deprecated IPv4-compatible ``::/96``, local-use
NAT64) are refused whole.

Hosts are read the way the C library reads them (`inet_aton`: ``127.1``, ``0x7f.1``,
``2130706433``, ``0177.0.0.1``), after Unicode compatibility folding (full-width digits),
so a literal is classified exactly as the socket layer would connect to it.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

NON_GLOBAL_V4: tuple[IPv4Network, ...] = tuple(
    IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host on Linux
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT, Alibaba's metadata at 100.100.100.200
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata at 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "255.255.255.255/32",
    )
)
NON_GLOBAL_V6: tuple[IPv6Network, ...] = tuple(
    IPv6Network(n)
    for n in (
        "::/96",  # unspecified, loopback and the deprecated IPv4-compatible form
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/32",  # Teredo
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4
        "fc00::/7",  # unique local (AWS metadata at fd00:ec2::254)
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
    )
)
EMBEDDING_V6: tuple[IPv6Network, ...] = (
    IPv6Network("::ffff:0:0/96"),  # IPv4-mapped
    IPv6Network("64:ff9b::/96"),  # NAT64, well-known prefix
)
_INET_ATON = re.compile(r"^[0-9a-fx.]+$")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".lan", ".intranet")


def embedded_v4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv4-mapped or NAT64 address carries, else None."""
    for network in EMBEDDING_V6:
        if address in network:
            return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_non_global(address: IPAddress) -> bool:
    """True when `address` is loopback, private, link-local, CGNAT, multicast, reserved,
    unspecified, documentation, benchmarking, or carries such an IPv4 address."""
    if isinstance(address, IPv6Address):
        address = IPv6Address(int(address))  # drop a zone (fe80::1%eth0)
        inner = embedded_v4(address)
        if inner is not None:
            return is_non_global(inner)
        return any(address in network for network in NON_GLOBAL_V6)
    return any(address in network for network in NON_GLOBAL_V4)


def in_networks(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    """`address` (or the IPv4 address it carries) is inside one of `networks`."""
    if isinstance(address, IPv6Address):
        address = IPv6Address(int(address))
        inner = embedded_v4(address)
        if inner is not None and in_networks(inner, networks):
            return True
    return any(address.version == net.version and address in net for net in networks)


def fold_host(host: str) -> str:
    """The host as a resolver sees it: NFKC-folded (full-width digits and dots become
    ASCII), lower-cased, brackets and a trailing dot removed."""
    host = unicodedata.normalize("NFKC", host).strip().lower()
    host = host.replace("\u3002", ".").replace("\uff0e", ".").replace("\uff61", ".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host.rstrip(".")


def literal_address(host: str) -> IPAddress | None:
    """The address a host literal names, in any spelling the C library accepts, or None
    for a name. IPv6 zones (``fe80::1%eth0``, ``%25eth0``) are dropped."""
    host = fold_host(host)
    if ":" in host:
        try:
            return IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return None
    try:
        return IPv4Address(host)
    except ValueError:
        pass
    if host and _INET_ATON.match(host) and host[0].isdigit():
        try:  # 127.1, 0x7f.1, 2130706433, 0177.0.0.1, 10.0x1 ...
            return IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_local_name(host: str) -> bool:
    """Names that only mean something inside a network: ``localhost`` and its subdomains
    (RFC 6761), single labels (``redis``, ``postgres``), ``.local``, ``.internal``..."""
    name = fold_host(host)
    return name == "localhost" or "." not in name or name.endswith(_LOCAL_SUFFIXES) or name == ""


def is_loopback_name(host: str) -> bool:
    """``localhost`` and ``*.localhost`` always mean this host (RFC 6761), whatever DNS says."""
    name = fold_host(host)
    return name == "localhost" or name.endswith(".localhost")


def parse_networks(value: str | Iterable[str]) -> tuple[IPNetwork, ...]:
    """``127.0.0.1,::1,10.0.0.0/8`` (or a list of such) -> networks. Raises ValueError."""
    items = value.split(",") if isinstance(value, str) else list(value)
    out: list[IPNetwork] = []
    for item in items:
        text = item.strip()
        if text:
            out.append(ipaddress.ip_network(text.strip("[]"), strict=False))
    return tuple(out)
