"""Threat-model §4.1 for the route `/connect mastodon` added to learn the server's
software: ``/.well-known/nodeinfo`` names the NodeInfo document's URL, which the server
(the attacker) chooses. Internal targets in every spelling, or a redirect inside: no
connection, and the same reply as for a NodeInfo URL on a public host that does not
answer."""

from __future__ import annotations

from tests.egress.conftest import Bot
from tests.egress.kit import PUBLIC, Attacker, Victims, closed_port
from tests.egress.test_oauth_route import internal_urls
from tests.egress.test_routes import Users

REL = "http://nodeinfo.diaspora.software/ns/schema/2.1"


async def test_a_nodeinfo_link_never_leads_inside(
    bot: Bot, victims: Victims, attacker: Attacker
) -> None:
    users = Users(bot)
    server = f"b.example:{attacker.https_port}"
    attacker.json("b.example", "/api/v1/instance", {"uri": "b.example", "version": "4.3.2"})

    def links(href: str) -> None:
        attacker.json(
            "b.example", "/.well-known/nodeinfo", {"links": [{"rel": REL, "href": href}]}
        )

    links(f"https://{PUBLIC}:{closed_port()}/nodeinfo/2.1")
    control, control_s = await users.say(f"/connect mastodon {server}")
    assert "does not let the bot register" in control  # the attacker has no /api/v1/apps
    port = victims.port
    attacker.redirect("b.example", "/nodeinfo/2.1", f"http://127.0.0.1:{port}/x")
    for href in [*(url + "/nodeinfo/2.1" for url in internal_urls(port)),
                 f"https://b.example:{attacker.https_port}/nodeinfo/2.1"]:  # fmt: skip
        links(href)
        reply, took = await users.say(f"/connect mastodon {server}")
        assert reply == control, href
        assert took < control_s + 2.0, (href, took, control_s)
    assert "/.well-known/nodeinfo" in attacker.paths()
    assert "/nodeinfo/2.1" in attacker.paths()  # the redirecting one was asked, not followed
    victims.assert_untouched()
