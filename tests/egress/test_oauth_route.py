"""Threat-model §4.1, the Bluesky OAuth discovery route, end to end through the dispatcher.

With a public web address (``CHATBOT_PUBLIC_URL``) ``/connect bluesky DID`` reads the DID
document (the attacker's PLC entry), then ``GET {pds}/.well-known/oauth-protected-resource``,
the authorization server's metadata, and POSTs the pushed authorization request; the
callback POSTs to the token endpoint and, when another account approved, to the
revocation endpoint. The attacker (HTTPS on 127.0.0.2, the one "public" address) names
internal servers and endpoints at each step, or redirects inside. For each: no victim
listener on 127.0.0.1 or ::1 accepts a connection, the user reads exactly what a public
server that does not answer gives (the control, in comparable time), and no token
reaches a listener (S1, S3, S5, S6).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from chatbot.networks.egress.addresses import literal_address
from chatbot.oauth import flow
from tests.egress.conftest import Bot
from tests.egress.kit import PUBLIC, Attacker, Victims, closed_port
from tests.egress.test_routes import PLC_DID, Users
from tests.oauth.test_discovery import ISSUER, metadata

CANARY_TOKEN = "canary-access-token-0b1f"


def internal_urls(port: int) -> list[str]:
    """Internal origins in every spelling a URL in a document can carry."""
    return [
        f"https://127.0.0.1:{port}", f"https://127.1:{port}", f"http://127.0.0.1:{port}",
        f"https://0x7f.1:{port}", f"https://[::1]:{port}", f"https://[::ffff:127.0.0.1]:{port}",
        f"https://localhost:{port}", f"https://internal.attacker.example:{port}",
        f"https://v6.attacker.example:{port}", f"https://mapped.attacker.example:{port}",
        f"https://mixed.example:{port}", f"https://127.0.0.1.nip.io:{port}",
        f"https://public.example@127.1:{port}", f"https://%31%32%37.0.0.1:{port}",
    ]  # fmt: skip


class Scene:
    """The attacker's documents: a DID document naming `pds`, its protected-resource
    document, and the authorization server `a.example`'s metadata."""

    def __init__(self, attacker: Attacker) -> None:
        self.attacker = attacker
        self.port = attacker.https_port
        self.pds = f"https://pds.example:{self.port}"
        self.issuer = f"https://a.example:{self.port}"
        self.states: list[str] = []

    def did_document(self, pds: str) -> None:
        self.attacker.json("*", f"/plc/{PLC_DID}", {
            "id": PLC_DID, "alsoKnownAs": ["at://jay.bsky.team"],
            "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                         "serviceEndpoint": pds}],
        })  # fmt: skip

    def resource(self, servers: list[str]) -> None:
        document = {"resource": self.pds, "authorization_servers": servers}
        self.attacker.json("pds.example", "/.well-known/oauth-protected-resource", document)

    def auth_server(self, **changes: Any) -> None:
        """`a.example`'s metadata: every endpoint on the attacker, but for `changes`."""
        doc = json.loads(json.dumps(metadata()).replace(ISSUER, self.issuer))
        doc.update(changes)
        self.attacker.json("a.example", "/.well-known/oauth-authorization-server", doc)

    def accept_par(self) -> None:
        """The PAR endpoint answers (and the test learns the state, to play the callback)."""

        async def par(request: web.Request) -> web.Response:
            self.states.append(str((await request.post()).get("state", "")))
            return web.json_response({"request_uri": "urn:x:1", "expires_in": 300}, status=201)

        self.attacker.handler("a.example", "/oauth/par", par)

    def tokens_for_someone_else(self) -> None:
        """The token endpoint answers tokens of another account than the one asked for."""
        self.attacker.json("a.example", "/oauth/token", {
            "access_token": CANARY_TOKEN, "refresh_token": CANARY_TOKEN + "-r",
            "token_type": "DPoP", "expires_in": 3600, "scope": "atproto transition:generic",
            "sub": "did:plc:" + "z" * 24,
        })  # fmt: skip


def _named(url: str) -> bool:
    """An https URL whose host is a name (that resolves inside), not an address."""
    host = url.split("://", 1)[1].rsplit(":", 1)[0]
    plain = "@" not in host and "%" not in host and "[" not in host
    return url.startswith("https://") and plain and literal_address(host) is None


async def _control(users: Users, scene: Scene) -> tuple[str, float]:
    """A public PDS that does not answer."""
    scene.did_document(f"https://{PUBLIC}:{closed_port()}")
    control, took = await users.say(f"/connect bluesky {PLC_DID}")
    assert "does not offer the login the bot needs, or did not answer" in control
    scene.did_document(scene.pds)
    return control, took


async def test_internal_servers_and_endpoints_are_never_reached(
    oauth_bot: Bot, victims: Victims, attacker: Attacker
) -> None:
    """The protected-resource document names an internal authorization server, or the
    metadata of a public one names internal endpoints."""
    users, scene = Users(oauth_bot), Scene(attacker)
    control, control_s = await _control(users, scene)

    async def as_the_control(case: object) -> None:
        reply, took = await users.say(f"/connect bluesky {PLC_DID}")
        assert reply == control, case
        assert took < control_s + 2.0, (case, took, control_s)

    for server in internal_urls(victims.port):
        scene.resource([server])
        await as_the_control(server)
    scene.resource([scene.issuer])
    for origin in internal_urls(victims.port):
        for field, path in (("pushed_authorization_request_endpoint", "/par"),
                            ("authorization_endpoint", "/authorize"),
                            ("token_endpoint", "/token"),
                            ("revocation_endpoint", "/revoke")):  # fmt: skip
            scene.auth_server(**{field: origin + path})
            await as_the_control((field, origin))  # (the attacker's own PAR refuses too)
    # both documents were read (the attacker's TLS is trusted): the refusals are real
    assert "/.well-known/oauth-protected-resource" in attacker.paths()
    assert "/.well-known/oauth-authorization-server" in attacker.paths()
    victims.assert_untouched()


async def test_redirects_inside_are_not_followed(
    oauth_bot: Bot, victims: Victims, attacker: Attacker
) -> None:
    users, scene = Users(oauth_bot), Scene(attacker)
    control, _ = await _control(users, scene)
    port = victims.port
    for target in (f"http://127.0.0.1:{port}/x", f"https://127.1:{port}/x",
                   f"https://internal.attacker.example:{port}/x",
                   f"http://{PUBLIC}:{attacker.http_port}/downgraded"):  # fmt: skip
        attacker.redirect("pds.example", "/.well-known/oauth-protected-resource", target)
        reply, _ = await users.say(f"/connect bluesky {PLC_DID}")
        assert reply == control, target
        scene.resource([scene.issuer])
        attacker.redirect("a.example", "/.well-known/oauth-authorization-server", target)
        reply, _ = await users.say(f"/connect bluesky {PLC_DID}")
        assert reply == control, target
    assert "/downgraded" not in attacker.paths()
    victims.assert_untouched()


async def test_the_callback_never_sends_a_code_or_a_token_inside(
    oauth_bot: Bot, victims: Victims, attacker: Attacker
) -> None:
    """The approval happened; the token endpoint (then the revocation endpoint that ends
    another account's session) is internal: no connection, the same outcome as a token
    endpoint that does not answer, and the tokens reach no listener."""
    services = oauth_bot.services
    users, scene = Users(oauth_bot), Scene(attacker)
    scene.did_document(scene.pds)
    scene.resource([scene.issuer])
    scene.accept_par()

    async def callback(**endpoints: str) -> str:
        scene.auth_server(**endpoints)
        said, _ = await users.say(f"/connect bluesky {PLC_DID}")
        assert "open this link" in said, said
        query = {"state": scene.states[-1], "code": "c0de", "iss": scene.issuer}
        return (await flow.complete(services, query)).reason

    closed = f"https://{PUBLIC}:{closed_port()}"
    assert await callback(token_endpoint=f"{closed}/token") == "failed"  # the control
    # names pass the checks on document URLs (literal addresses were refused before the
    # link, previous test): the connection is what the policy refuses
    names = [url for url in internal_urls(victims.port) if _named(url)]
    assert len(names) >= 6
    for origin in names:
        assert await callback(token_endpoint=origin + "/token") == "failed", origin
    scene.tokens_for_someone_else()
    for origin in names:
        outcome = await callback(revocation_endpoint=origin + "/revoke")
        assert outcome == "other_account", origin  # refused; its session ended if it can be
    victims.assert_untouched()
    assert CANARY_TOKEN.encode() not in bytes(victims.received)
