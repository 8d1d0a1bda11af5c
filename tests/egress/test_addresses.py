"""The address classifier and the policy over every spelling and range of threat-model §4.1
(no network: `Egress.vet` with a stub resolver)."""

from __future__ import annotations

import ipaddress

import pytest

from chatbot.networks.egress import Egress, Refused, check_url
from chatbot.networks.egress.addresses import is_non_global, literal_address
from tests.egress.kit import StubResolver

REFUSED = [
    # short dotted, hex, octal, one integer (inet_aton)
    "127.1", "127.0.1", "0x7f.1", "0x7f.0x0.0x0.0x1", "0177.0.0.1", "2130706433",
    "0x7f000001", "017700000001",
    # metadata, disguised
    "169.254.169.254", "169.254.43518", "169.254.0xa9fe", "2852039166", "0xa9fea9fe",
    # private, short
    "10.1", "10.0x1", "192.168.1", "172.16.0.1",
    # this host
    "0", "0.0.0.0", "[::]", "::",
    # IPv6 loopback, mapped, NAT64, 6to4, Teredo, IPv4-compatible
    "[::1]", "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]",
    "[::ffff:a9fe:a9fe]", "[64:ff9b::7f00:1]", "[64:ff9b:1::1]", "[2002:7f00:1::]",
    "[2001::1]", "[2001:0:4136:e378:8000:63bf:3fff:fdd2]", "[::7f00:1]",
    # link-local with a zone, ULA, site-local
    "[fe80::1%25eth0]", "fe80::1%eth0", "[fd00:ec2::254]", "[fec0::1]",
    # CGNAT (Alibaba's metadata inside it)
    "100.64.0.1", "100.127.255.254", "100.100.100.200",
    # multicast, reserved, broadcast, documentation, benchmarking, IETF
    "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255", "192.0.2.1",
    "198.51.100.1", "203.0.113.1", "198.18.0.1", "198.19.255.255", "192.0.0.8",
    "[ff02::1]", "[100::1]", "[2001:db8::1]",
    # full-width digits and ideographic dots
    "１２７.０.０.１", "127。0。0。1",
    # names: localhost and its family, bare container names, attacker names
    "localhost", "LOCALHOST", "localhost.", "anything.localhost", "redis", "postgres",
    "metadata.google.internal", "127.0.0.1.nip.io", "internal.attacker.example",
    "mixed.example", "mapped.attacker.example", "cgnat.attacker.example",
]  # fmt: skip
ALLOWED = ["93.184.216.34", "[2606:4700::6810:84e5]", "public.example",
           "[::ffff:93.184.216.34]", "[64:ff9b::5db8:d822]", "1.1.1.1"]  # fmt: skip

V4 = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
      "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
      "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
      "255.255.255.255/32"]  # fmt: skip
V6 = ["::/128", "::1/128", "::ffff:7f00:0/104", "64:ff9b::a00:0/104", "64:ff9b:1::/48",
      "100::/64", "2001::/32", "2001:db8::/32", "2002::/16", "fc00::/7", "fe80::/10",
      "ff00::/8"]  # fmt: skip


def _policy(allow: str = "") -> Egress:
    stub = StubResolver().add("public.example", "93.184.216.34")
    stub.add("internal.attacker.example", "127.0.0.1").add("redis", "172.18.0.2")
    stub.add("mixed.example", "93.184.216.34", "127.0.0.1")
    stub.add("mapped.attacker.example", "::ffff:127.0.0.1")
    stub.add("cgnat.attacker.example", "100.100.100.200")
    stub.add("127.0.0.1.nip.io", "127.0.0.1").add("metadata.google.internal", "169.254.169.254")
    stub.add("localhost", "93.184.216.34")  # DNS must not be asked for localhost
    stub.add("anything.localhost", "93.184.216.34")
    policy = Egress.allowing(allow)
    policy.resolver = stub
    return policy


@pytest.mark.parametrize("host", REFUSED)
def test_every_internal_spelling_is_refused(host: str) -> None:
    with pytest.raises(Refused):
        _policy().vet(host, plain=False)


@pytest.mark.parametrize("host", ALLOWED)
def test_public_destinations_pass_over_https(host: str) -> None:
    assert _policy().vet(host, plain=False)


@pytest.mark.parametrize("host", ALLOWED)
def test_plain_http_needs_the_allow_list(host: str) -> None:
    with pytest.raises(Refused):
        _policy().vet(host, plain=True)


@pytest.mark.parametrize("network", V4 + V6)
def test_each_range_is_non_global_at_both_ends(network: str) -> None:
    net = ipaddress.ip_network(network)
    for address in (net[0], net[-1]):
        assert is_non_global(address), address


@pytest.mark.parametrize(
    ("spelling", "address"),
    [("127.1", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("2130706433", "127.0.0.1"),
     ("017700000001", "127.0.0.1"), ("169.254.43518", "169.254.169.254"),
     ("0xa9fea9fe", "169.254.169.254"), ("10.0x1", "10.0.0.1"), ("192.168.1", "192.168.0.1"),
     ("0", "0.0.0.0"), ("[fe80::1%25eth0]", "fe80::1"), ("１２７.０.０.１", "127.0.0.1"),
     ("deadbeef.example", None), ("1e100.net", None)],
)  # fmt: skip
def test_literals_are_read_as_the_c_library_reads_them(spelling: str, address: str | None) -> None:
    found = literal_address(spelling)
    assert (str(found) if found is not None else None) == address


def test_the_allow_list_opens_exactly_what_it_names() -> None:
    policy = _policy("127.0.0.2,::1,10.0.0.0/8")
    assert policy.vet("127.0.0.2", plain=True)
    assert policy.vet("[::1]", plain=True)
    assert policy.vet("10.1", plain=True)  # 10.0.0.1, inside 10/8
    for host in ("127.0.0.1", "172.18.0.2", "redis", "localhost"):  # redis is 172.18.0.2
        with pytest.raises(Refused):
            policy.vet(host, plain=False)


def test_allow_listed_names_and_plain_http() -> None:
    policy = _policy("127.0.0.1,::1")
    assert [str(a) for a in policy.vet("localhost", plain=True)] == ["127.0.0.1", "::1"]
    assert policy.vet("internal.attacker.example", plain=True)
    for host in ("127.0.0.2", "169.254.169.254", "redis", "public.example"):
        with pytest.raises(Refused):
            policy.vet(host, plain=True)


@pytest.mark.parametrize(
    "url",
    ["https://public.example@127.1/", "https://127.1\\@public.example/",
     "https://%31%32%37.0.0.1/", "https://１２７.０.０.１/", "http://public.example/",
     "ftp://public.example/", "https://127.0.0.1/", "https://[::1]/", "https://0x7f.1/",
     "javascript:alert(1)", "https://public.example:0/", "https:///nohost"],
)  # fmt: skip
def test_urls_from_remote_documents(url: str) -> None:
    with pytest.raises(Refused):
        check_url(_policy(), url)


def test_a_clean_https_url_passes() -> None:
    assert check_url(_policy(), "https://pds.example:8443/x") == "https://pds.example:8443/x"
    assert check_url(_policy("127.0.0.2"), "http://127.0.0.2:80/") == "http://127.0.0.2:80/"


def test_the_allow_list_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from chatbot.config import ConfigError, Settings, load_settings

    monkeypatch.setenv("CHATBOT_EGRESS_ALLOW", "127.0.0.1, [::1],10.0.0.0/8")
    loaded = Settings(_env_file=None)  # type: ignore[call-arg]
    assert loaded.egress_allow == ["127.0.0.1/32", "::1/128", "10.0.0.0/8"]
    assert Egress.from_settings(loaded).vet("10.1.2.3", plain=True)
    monkeypatch.setenv("CHATBOT_EGRESS_ALLOW", "127.0.0.1,intranet")
    with pytest.raises(ConfigError, match="CHATBOT_EGRESS_ALLOW"):
        load_settings(_env_file=None)
    monkeypatch.delenv("CHATBOT_EGRESS_ALLOW")
    assert Settings(_env_file=None).egress_allow == []  # type: ignore[call-arg]
