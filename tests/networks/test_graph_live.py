"""The social graph as evidence, end to end on the local AT Protocol network (issue 12 item 1).

Real accounts and real follow records on the session's ``@atproto/dev-env`` network (tagged
names, the network is shared): a community of four contacts who follow each other, each
with a bio link to their X account (likely); zoe, on another handle with a genuine
"formerly @zoe on Twitter" bio, followed by the whole community; an impostor who took
zoe's X name as handle, her display name and an ``x.com`` link, and followed the community
(following is free) but whom nobody follows; yan, on another handle with a genuine link,
followed by one of the community (below the lift). The bot's verdict is read as a user
reads it: `chatbot match --json` and the console bot's /match, with the real AppView.
"""

from __future__ import annotations

import asyncio
import subprocess
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from chatbot.archive.model import Owner, ParsedArchive, id_array
from chatbot.i18n import translator
from chatbot.matching import MemoryDirectory, match_archive
from chatbot.networks import lookup_budget
from chatbot.networks.bluesky import PublicAppView
from tests.networks import live_world as lw
from tests.networks.live_setup import CHATBOT, cli, console_env, json_rows, local_egress
from tests.servers.atproto import Account, AtprotoNetwork
from tests.servers.mastodon import MastodonServer

pytestmark = [pytest.mark.server, pytest.mark.slow]

COMMUNITY = ["gca", "gcb", "gcc", "gcd"]
IDS = {"gca": 5001, "gcb": 5002, "gcc": 5003, "gcd": 5004, "zoe": 5005, "yan": 5006}


@dataclass
class GraphWorld:
    tag: str
    accounts: dict[str, Account]

    def x(self, who: str) -> str:
        return f"{who}{self.tag}"

    def handle(self, key: str) -> str:
        return self.accounts[key].handle

    def did(self, key: str) -> str:
        return self.accounts[key].did


def follow(net: AtprotoNetwork, who: Account, subject: Account) -> None:
    """A real follow record, written by its owner on the PDS."""
    response = httpx.post(
        net.pds_url + "/xrpc/com.atproto.repo.createRecord",
        headers={"Authorization": f"Bearer {who.access_jwt}"},
        json={
            "repo": who.did,
            "collection": "app.bsky.graph.follow",
            "record": {
                "$type": "app.bsky.graph.follow",
                "subject": subject.did,
                "createdAt": "2026-12-01T10:00:00.000Z",
            },
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def graph_world(atproto_network: AtprotoNetwork) -> GraphWorld:
    net, tag = atproto_network, lw.new_tag()
    accounts: dict[str, Account] = {}
    for who in COMMUNITY:
        name = f"{who}{tag}"
        accounts[who] = net.create_account(
            name, display_name=who.upper(), description=f"maps · x.com/{name}"
        )
    zoe = f"zoe{tag}"
    accounts["zoe"] = net.create_account(
        f"{zoe}-new", display_name="Zoe", description=f"cartes, data · formerly @{zoe} on Twitter"
    )
    accounts["impostor"] = net.create_account(
        zoe, display_name="Zoe", description=f"cartes, data · x.com/{zoe}"
    )
    yan = f"yan{tag}"
    accounts["yan"] = net.create_account(
        f"{yan}-b", display_name="Yan", description=f"formerly @{yan} on Twitter"
    )
    members = [accounts[w] for w in COMMUNITY]
    for a in members:
        for b in members:
            if a is not b:
                follow(net, a, b)
        follow(net, a, accounts["zoe"])
        follow(net, accounts["impostor"], a)  # the impostor follows everyone: free
    follow(net, members[0], accounts["yan"])
    # the user's own Bluesky account follows gca, and pal, who is not in the archive but
    # follows yan (the user's follows anchor the community: gca follows the others)
    accounts["me"] = net.create_account(f"me{tag}", display_name="Me")
    accounts["pal"] = net.create_account(f"pal{tag}", display_name="Pal")
    follow(net, accounts["me"], accounts["pal"])
    follow(net, accounts["me"], accounts["gca"])
    follow(net, accounts["pal"], accounts["yan"])
    net.wait_for_profiles([a.did for a in accounts.values()])
    net.flush()
    return GraphWorld(tag, accounts)


def archive(world: GraphWorld) -> ParsedArchive:
    parsed = ParsedArchive(
        era="manifest", owner=Owner(account_id="5000", username=f"me{world.tag}"),
        following=id_array(sorted(IDS.values())),
    )  # fmt: skip
    parsed.handles = {x_id: Counter({world.x(who): 2}) for who, x_id in IDS.items()}
    return parsed


def write_zip(path: Path, world: GraphWorld) -> Path:
    mentioned = sorted((x_id, world.x(who)) for who, x_id in IDS.items()) * 2
    tweets = [lw._tweet(n, x_id, name) for n, (x_id, name) in enumerate(mentioned)]
    me = {"username": f"me{world.tag}", "accountId": "5000", "accountDisplayName": "Me",
          "createdAt": "2012-03-04T05:06:07.000Z"}  # fmt: skip
    account = {"account": me}
    files = {
        "data/account.js": lw._js("account", [account]),
        "data/following.js": lw._ids("following", sorted(IDS.values())),
        "data/tweets.js": lw._js("tweets", tweets),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, text in files.items():
            out.writestr(name, text)
    return path


def test_the_graph_lifts_the_real_account_and_drops_the_impostor(
    atproto_network: AtprotoNetwork, graph_world: GraphWorld
) -> None:
    w = graph_world

    async def run(viewer: str | None = None) -> tuple[list, int]:  # type: ignore[type-arg]
        reader = PublicAppView(
            atproto_network.appview_url, resolver_url=atproto_network.pds_url,
            egress=local_egress(),
        )  # fmt: skip
        budget = lookup_budget.LookupBudget(per_run=1000, per_second=1000.0)
        try:
            with lookup_budget.metered(budget):
                found = await match_archive(
                    archive(w), MemoryDirectory(), reader, None, decisions={}, viewer=viewer
                )
        finally:
            await reader.aclose()
        return found, budget.spent["bluesky"]

    found, spent = asyncio.run(run())
    by_did = {m.did: m for m in found}
    zoe, impostor, yan = by_did[w.did("zoe")], by_did[w.did("impostor")], by_did[w.did("yan")]
    assert (zoe.tier, zoe.support) == ("likely", 4)
    assert ("graph_support", (("count", 4),)) in [(r.code, r.params) for r in zoe.reasons]
    assert (impostor.tier, impostor.support) == ("possible", 0)
    assert "graph_rival" in impostor.reason_codes()
    assert (yan.tier, yan.support) == ("possible", 1)  # below the lift: shown, not followed
    for who in COMMUNITY:
        member = by_did[w.did(who)]
        assert (member.tier, member.support) == ("likely", 3)
    # bounded: the searches and profiles, then one getFollowers page per candidate
    assert spent <= 40, spent
    # the user connected Bluesky: the accounts they follow are accounts they know too
    found, _ = asyncio.run(run(viewer=w.did("me")))
    yan = next(m for m in found if m.did == w.did("yan"))
    assert (yan.tier, yan.support) == ("likely", 2)


def test_the_bot_shows_who_follows_them(
    atproto_network: AtprotoNetwork,
    mastodon_server: MastodonServer,
    graph_world: GraphWorld,
    tmp_path: Path,
) -> None:
    """`chatbot match --json`, then the console bot's /match, as a user runs them."""
    w = graph_world
    zipped = write_zip(tmp_path / "twitter-archive.zip", w)
    done = cli(
        str(zipped), "--json", "--appview", atproto_network.appview_url,
        "--mastodon-instance", mastodon_server.url,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = {(r[3], r[5]): r[7] for r in json_rows(done.stdout)}
    assert rows[(w.handle("zoe"), "likely")][-1] == "graph_support"
    assert rows[(w.handle("impostor"), "possible")][-1] == "graph_rival"
    assert rows[(w.handle("yan"), "possible")][-1] == "graph_support"
    env = console_env(tmp_path / "data", appview_url=atproto_network.appview_url,
                      mastodon_url=mastodon_server.url, lang="en_US.UTF-8")  # fmt: skip
    console = subprocess.run(
        [str(CHATBOT), "console"], input=f"/upload {zipped}\n/match\n", capture_output=True,
        text=True, env=env, cwd=tmp_path, timeout=180, check=False,
    )  # fmt: skip
    assert console.returncode == 0, console.stderr
    out = console.stdout
    en = translator("en")
    shown = out[out.index(w.handle("zoe")) :]
    assert en.plural("match.reason.graph_support", 4) in shown.split("\n\n")[0]
