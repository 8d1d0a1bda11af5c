"""The social graph as evidence, end to end on the local AT Protocol network (issue 12 item 1).

Real accounts and real follow records on the session's ``@atproto/dev-env`` network (tagged
names, the network is shared): a community of four contacts who follow each other, each
with a bio link to their X account (likely); zoe, on another handle with a genuine
"formerly @zoe on Twitter" bio, followed by the whole community; an impostor who took
zoe's X name as handle, her display name and an ``x.com`` link, and followed the community
(following is free) but whom nobody follows; yan, on another handle with a genuine link,
followed by one of the community (below the lift); kim, on another handle with a genuine
link, followed by none of the user's contacts but by two accounts that an account the user
follows (hub) follows: the circle, two steps away. The bot's verdict is read as a user
reads it: `chatbot match --json` and the console bot's /match, with the real AppView.
"""

from __future__ import annotations

import asyncio
import subprocess
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from chatbot.accounts import bluesky as bluesky_account
from chatbot.archive.model import Owner, ParsedArchive, id_array
from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.i18n import translator
from chatbot.matching import MemoryDirectory, match_archive
from chatbot.networks import lookup_budget
from chatbot.networks.bluesky import PublicAppView
from chatbot.platforms.base import RecordingPlatform, Text
from chatbot.services import Services
from handlers import build_registry
from handlers.follow import runner
from tests.accounts.test_bluesky import _app_password
from tests.conversation.harness import Chat, start_follow, texts
from tests.export.test_live import records
from tests.networks import live_world as lw
from tests.networks.live_setup import CHATBOT, cli, console_env, json_rows, local_egress
from tests.servers.atproto import Account, AtprotoNetwork
from tests.servers.egress import allow_local
from tests.servers.mastodon import MastodonServer

pytestmark = [pytest.mark.server, pytest.mark.slow]

COMMUNITY = ["gca", "gcb", "gcc", "gcd"]
IDS = {"gca": 5001, "gcb": 5002, "gcc": 5003, "gcd": 5004, "zoe": 5005, "yan": 5006, "kim": 5007}


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
    net.create_record(who, "app.bsky.graph.follow", subject=subject.did)


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
    # kim: the user follows hub, hub follows hf1 and hf2, who follow kim
    kim = f"kim{tag}"
    accounts["kim"] = net.create_account(
        f"{kim}-k", display_name="Kim", description=f"ex-@{kim} sur Twitter"
    )
    for key in ("hub", "hf1", "hf2"):
        accounts[key] = net.create_account(f"{key}{tag}", display_name=key.upper())
    follow(net, accounts["me"], accounts["hub"])
    for key in ("hf1", "hf2"):
        follow(net, accounts["hub"], accounts[key])
        follow(net, accounts[key], accounts["kim"])
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
    kim = by_did[w.did("kim")]
    assert (kim.tier, kim.support) == ("possible", 0)  # no anchor: no circle
    for who in COMMUNITY:
        member = by_did[w.did(who)]
        assert (member.tier, member.support) == ("likely", 3)
    # bounded: the searches and profiles, then one getFollowers page per candidate
    assert spent <= 46, spent
    # the user connected Bluesky: the accounts they follow are accounts they know too, and
    # the accounts those follow are the user's circle (one getFollows page per anchor)
    found, spent = asyncio.run(run(viewer=w.did("me")))
    by_did = {m.did: m for m in found}
    yan, kim = by_did[w.did("yan")], by_did[w.did("kim")]
    assert (yan.tier, yan.support) == ("likely", 2)
    assert (kim.tier, kim.support) == ("likely", 2)
    assert ("graph_support", (("count", 2),)) in [(r.code, r.params) for r in kim.reasons]
    assert by_did[w.did("impostor")].tier == "possible"
    assert spent <= 80, spent


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


async def _all_cards(chat: Chat) -> list[object]:
    """/match, then every review page the user can turn to ("next")."""
    replies = list(await chat.say("/match"))
    for _ in range(10):
        turn = [b.data for r in replies[-1:] if isinstance(r, Text) for row in r.buttons
                for b in row if b.data.startswith("m:p:")]  # fmt: skip
        if not turn:
            return replies
        replies += await chat.press(turn[0])
    return replies


def _card(replies: list[object], handle: str) -> str:
    head = f"→ {handle} ("  # not a longer handle that holds this one
    (found,) = [r.text for r in replies if isinstance(r, Text) and head in r.text]
    return found


async def test_once_the_user_connects_bluesky_their_circle_vouches_and_follow_obeys(
    settings: Settings, atproto_network: AtprotoNetwork, graph_world: GraphWorld
) -> None:
    """As a user: /match, /connect (the bot's own connect step, an app password), /match
    again, /follow bluesky likely; the follows checked on the PDS. kim is two steps from
    the user (me -> hub -> hf1, hf2 -> kim): likely only once the user's circle is known.
    Runs last: it writes follows from the user's account."""
    net, w = atproto_network, graph_world
    plc = str(net.info["plc"]).replace("localhost", "127.0.0.1")
    configured = allow_local(settings).model_copy(
        update={"bluesky_resolver_url": net.pds_url, "bluesky_plc_url": plc}
    )
    services = await Services.start(configured, processes=False)
    reader = PublicAppView(net.appview_url, resolver_url=net.pds_url, egress=local_egress())
    services.bluesky = reader
    try:
        user = await services.users.get_or_create("telegram", "me")
        await services.archives.save(user.id, archive(w))
        chat = Chat(Dispatcher(services, build_registry()), RecordingPlatform(name="telegram"),
                    user="me")  # fmt: skip
        before = await _all_cards(chat)
        kim = _card(before, w.handle("kim"))
        assert kim.startswith(f"[possible] Bluesky: X @{w.x('kim')} → {w.handle('kim')}"), kim
        assert "in your circle" not in kim

        password = await asyncio.to_thread(_app_password, net, w.handle("me"))
        await bluesky_account.connect(services, user.id, w.handle("me"), password)
        after = await _all_cards(chat)
        kim = _card(after, w.handle("kim"))
        assert kim.startswith(f"[likely] Bluesky: X @{w.x('kim')} → {w.handle('kim')}"), kim
        assert "followed by 2 accounts in your circle" in kim
        impostor = _card(after, w.handle("impostor"))
        assert impostor.startswith("[possible]"), impostor

        jobs = runner(services)
        jobs.options.pace = False
        assert "on Bluesky" in texts(await start_follow(chat, "/follow bluesky likely"))
        await jobs.idle()
        found = await asyncio.to_thread(records, net.pds_url, w.did("me"), "app.bsky.graph.follow")
        followed = {r["value"]["subject"] for r in found}
        assert {w.did("kim"), w.did("zoe"), w.did("yan")} <= followed
        assert w.did("impostor") not in followed
    finally:
        await reader.aclose()
        await services.close()
