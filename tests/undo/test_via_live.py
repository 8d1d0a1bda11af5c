"""Follows that credit the organisation: a member's follows point at its starter pack.

On the dev network: the admin makes the organisation's starter pack (logged with its CID),
a member who joined through the organisation follows their matches, and each follow
record's `via` is the pack's strongRef. The roster also goes out as Mastodon's list file.
"""

from __future__ import annotations

import asyncio
import time

from chatbot.conversation import Dispatcher
from chatbot.orgs import OrgStore
from chatbot.orgs.store import RosterRow
from chatbot.services import Services
from handlers import build_registry
from handlers.follow import runner
from tests.accounts.conftest import atproto_settings
from tests.conversation.harness import start_follow, texts
from tests.export.matches import bsky
from tests.export.test_live import records
from tests.orgs.conftest import GROUP, GroupPlatform, give_archive, in_group, private
from tests.orgs.test_group import NAME, join_privately, setup_org
from tests.orgs.test_live import connect, live
from tests.servers.atproto import AtprotoNetwork
from tests.servers.fixtures import atproto_network
from tests.undo.live import FOLLOW

__all__ = ["atproto_network", "atproto_settings", "live"]


async def test_member_follows_point_at_the_organisations_starter_pack(
    live: Services, atproto_network: AtprotoNetwork
) -> None:
    net = atproto_network
    dispatcher = Dispatcher(live, build_registry())
    platform = GroupPlatform(name="telegram", chat_admins={"boss"})
    await private(dispatcher, platform, "boss").say("/start")
    boss = await connect(dispatcher, platform, net, "boss")
    await give_archive(live, "alice", "111", "alice_x")
    await give_archive(live, "bob", "222", "bob_x")
    token = await setup_org(dispatcher, platform)
    for user in ("alice", "bob"):
        await join_privately(dispatcher, platform, user, token, listed=True)
    alice, bob = [await connect(dispatcher, platform, net, name) for name in ("alice", "bob")]
    await asyncio.to_thread(net.wait_for_profiles, [alice.did, bob.did])
    assert "in private" in texts(await in_group(dispatcher, platform, "boss").say(
        "/group starterpack"
    ))  # fmt: skip
    packs = records(net.pds_url, boss.did, "app.bsky.graph.starterpack")
    assert len(packs) == 1

    member = private(dispatcher, platform, "alice")
    alice_id = (await live.users.get_or_create("telegram", "alice")).id
    live.match_cache[alice_id] = (time.monotonic(), [bsky(222, did=bob.did)])
    jobs = runner(live)
    jobs.options.pace = False
    assert "following 1 account" in texts(await start_follow(member, "/follow bluesky"))
    await jobs.idle()
    follows = records(net.pds_url, alice.did, FOLLOW)
    assert [f["value"]["subject"] for f in follows] == [bob.did]
    via = follows[0]["value"]["via"]  # a com.atproto.repo.strongRef of the pack record
    assert (via["uri"], via["cid"]) == (packs[0]["uri"], packs[0]["cid"])

    # someone outside the organisation: no via
    outsider = await connect(dispatcher, platform, net, "olga")
    olga_id = (await live.users.get_or_create("telegram", "olga")).id
    live.match_cache[olga_id] = (time.monotonic(), [bsky(222, did=bob.did)])
    await start_follow(private(dispatcher, platform, "olga"), "/follow bluesky")
    await jobs.idle()
    assert "via" not in records(net.pds_url, outsider.did, FOLLOW)[0]["value"]


async def test_the_roster_as_a_mastodon_list_file(live: Services) -> None:
    dispatcher = Dispatcher(live, build_registry())
    platform = GroupPlatform(name="telegram", chat_admins={"boss"})
    await private(dispatcher, platform, "boss").say("/start")
    await setup_org(dispatcher, platform)
    org = await OrgStore(live.db).by_chat("telegram", GROUP)
    assert org is not None
    rows = [RosterRow("cityhall", mastodon="mairie@mastodon.example"),
            RosterRow("library", mastodon="biblio@piaille.example")]  # fmt: skip
    await OrgStore(live.db).replace_roster(org.id, rows)
    await in_group(dispatcher, platform, "boss").say("/group mastodon")
    assert (
        platform.files["lists.csv"]
        == (
            f"List name,Account address\n{NAME},mairie@mastodon.example\n"
            f"{NAME},biblio@piaille.example\n"
        ).encode()
    )
    shown = "\n".join(platform.texts_in("dm-boss"))
    assert "importing a list also follows every account in it" in shown
    assert "following_accounts.csv" in platform.files
