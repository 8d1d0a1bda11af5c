"""Which software a fediverse server runs, and what the bot may ask of it (issue 15).

Detection, under the egress policy: ``GET /.well-known/nodeinfo`` -> the NodeInfo
document it links (2.1 or 2.0) -> ``software.name`` and ``version``; without NodeInfo,
the ``version`` of ``/api/v1/instance`` ("2.7.2 (compatible; Akkoma 3.13.2)", "4.3.0").
Then ``/api/v1/instance`` must answer like Mastodon, and the OAuth metadata (Mastodon
4.3+) says whether PKCE S256 is offered and the code flow exists.

What each family gets (their behaviours, with sources, are in the docstring of
``tests/servers/fediverse_standin.py``, which answers like each of them):

* ``mastodon`` (and the forks that report it: glitch-soc, Hometown): the precise scopes
  (``write:follows``, ``write:lists``, ``write:accounts``) from 2.4.3, the broad ones
  (``read write follow``) before; PKCE when the metadata offers S256.
* ``gotosocial``: the precise scopes; tokens are held to them only from 0.19.0, so an
  older server's token can do everything (the user is told).
* ``pleroma``, ``akkoma``: the precise scopes (a parent scope covers its children).
* the Misskey family (Misskey, Firefish/Calckey, Sharkey, Foundkey, Iceshrimp, Catodon,
  CherryPick): refused with an explanation. Misskey has no Mastodon API; its forks'
  Mastodon-API layers do not offer the app registration with an out-of-band code
  (and their follows through it are not reliable) that the bot needs.
* other software answering ``/api/v1/instance``: tried with the precise scopes (the
  broad ones when refused); the user is told which software it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from chatbot.accounts import ConnectFailed
from chatbot.networks.egress import Egress, Refused, check_url, http_client

TIMEOUT_S = 20.0
MAX_DOCUMENT = 256 * 1024  # an instance document is a few KB (rules, languages...)
PRECISE = ["read", "write:follows", "write:lists", "write:accounts"]
BROAD = ["read", "write", "follow"]
NODEINFO_RELS = (
    "http://nodeinfo.diaspora.software/ns/schema/2.1",
    "http://nodeinfo.diaspora.software/ns/schema/2.0",
)
SOFTWARE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")  # NodeInfo: ^[a-z0-9-]+$, bounded
VERSION = re.compile(r"^[0-9A-Za-z.+_ ()-]{1,40}$")
MISSKEY_FAMILY = frozenset({
    "misskey", "firefish", "calckey", "sharkey", "foundkey", "iceshrimp", "catodon",
    "cherrypick", "meisskey", "goblin",
})  # fmt: skip
COMPATIBLE = re.compile(r"\(compatible; (?P<name>[A-Za-z]+) (?P<version>[0-9][^)\s]*)\)")
NAMES = {
    "mastodon": "Mastodon", "gotosocial": "GoToSocial", "pleroma": "Pleroma",
    "akkoma": "Akkoma", "misskey": "Misskey", "firefish": "Firefish", "sharkey": "Sharkey",
    "calckey": "Calckey", "iceshrimp": "Iceshrimp", "pixelfed": "Pixelfed",
    "friendica": "Friendica", "hometown": "Hometown", "takahe": "Takahē", "lemmy": "Lemmy",
    "peertube": "PeerTube",
}  # fmt: skip


@dataclass(frozen=True)
class Server:
    url: str
    software: str = ""  # NodeInfo's name, lower case; "" when unknown
    version: str = ""
    oauth: dict[str, Any] = field(default_factory=dict)  # OAuth server metadata, if any

    @property
    def family(self) -> str:
        if self.software in MISSKEY_FAMILY:
            return "misskey"
        if self.software in ("", "mastodon", "hometown", "glitch", "glitchsoc"):
            return "mastodon"
        if self.software in ("gotosocial", "pleroma", "akkoma"):
            return self.software
        return "other"

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def display(self) -> str:
        """ "GoToSocial 0.20.1", for the chat ("" when unknown)."""
        if not self.software:
            return ""
        name = NAMES.get(self.software, self.software)
        return f"{name} {self.version}".strip()

    def scopes(self) -> list[str]:
        """The scopes to ask for first (see the module doc)."""
        if self.family == "mastodon" and self.version and _older(self.version, (2, 4, 3)):
            return list(BROAD)
        return list(PRECISE)

    @property
    def full_access(self) -> bool:
        """Every token of this server can do everything, whatever its scopes."""
        return self.family == "gotosocial" and _older(self.version or "0", (0, 19, 0))

    @property
    def pkce(self) -> bool:
        methods = self.oauth.get("code_challenge_methods_supported")
        return isinstance(methods, list) and "S256" in methods


def _older(version: str, than: tuple[int, ...]) -> bool:
    numbers = [int(n) for n in re.findall(r"\d+", version.split("+")[0])[:3]]
    return bool(numbers) and tuple(numbers) < than


async def detect(url: str, egress: Egress) -> Server:
    """What `url` runs. Raises `ConnectFailed`: unsupported_software (the Misskey family,
    or known software without the Mastodon API), not_mastodon, no_oob, rate_limited,
    service_down."""
    try:
        async with http_client(egress, timeout=TIMEOUT_S, follow_redirects=True) as http:
            software, version = await _nodeinfo(http, url, egress)
            server = Server(url, software, version)
            if server.family == "misskey":
                raise ConnectFailed("unsupported_software", software=server.display)
            instance = await http.get(f"{url}/api/v1/instance")
            if instance.status_code == 429:
                raise ConnectFailed("rate_limited")
            data = json_object(instance) if instance.status_code == 200 else {}
            if not data.get("uri") and not data.get("domain"):
                if server.family == "other":  # e.g. Lemmy, PeerTube: no Mastodon API
                    raise ConnectFailed("unsupported_software", software=server.display)
                if software:  # software that has the API, which did not answer right now
                    raise ConnectFailed("service_down")
                raise ConnectFailed("not_mastodon")
            if not software:
                server = _from_instance(url, data)
            meta = await http.get(f"{url}/.well-known/oauth-authorization-server")
    except (httpx.HTTPError, httpx.InvalidURL):
        raise ConnectFailed("service_down") from None
    oauth = json_object(meta) if meta.status_code == 200 else {}
    if oauth.get("response_types_supported") and "code" not in oauth["response_types_supported"]:
        raise ConnectFailed("no_oob")
    return Server(server.url, server.software, server.version, oauth)


async def _nodeinfo(http: httpx.AsyncClient, url: str, egress: Egress) -> tuple[str, str]:
    """(software, version) from NodeInfo; ("", "") when the server has none."""
    try:
        links = json_object(await http.get(f"{url}/.well-known/nodeinfo")).get("links")
        hrefs = {
            link.get("rel"): link.get("href")
            for link in (links if isinstance(links, list) else [])[:20]
            if isinstance(link, dict)
        }
        href = next((hrefs[rel] for rel in NODEINFO_RELS if isinstance(hrefs.get(rel), str)), "")
        if not href:
            return "", ""
        software = json_object(await http.get(check_url(egress, href))).get("software")
    except (httpx.HTTPError, httpx.InvalidURL, Refused):
        return "", ""
    if not isinstance(software, dict):
        return "", ""
    name, version = str(software.get("name", "")).lower(), str(software.get("version", ""))
    if not SOFTWARE.match(name):
        return "", ""
    return name, version if VERSION.match(version) else ""


def _from_instance(url: str, data: dict[str, Any]) -> Server:
    """The software a Mastodon-compatible instance document tells, without NodeInfo."""
    version = str(data.get("version", ""))[:80]
    found = COMPATIBLE.search(version)
    if found:  # Pleroma and Akkoma: "<Mastodon version> (compatible; Akkoma <version>)"
        name = found.group("name").lower()
        return Server(url, name if SOFTWARE.match(name) else "", found.group("version")[:40])
    return Server(url, "", version.split(" ")[0][:40] if VERSION.match(version) else "")


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of a response; {} when it is none (or too large)."""
    if len(response.content) > MAX_DOCUMENT:
        return {}
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
