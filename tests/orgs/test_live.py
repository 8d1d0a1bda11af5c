"""`/group starterpack` against the real local AT Protocol network.

The admin connects the organisation's Bluesky account, two members agree to the roster and
then connect theirs (their roster entries appear at once), and the starter pack is created
on the admin's account with exactly those members.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.orgs import OrgStore
from chatbot.services import Services
from chatbot.storage.schema import directory_entries
from handlers import build_registry
from tests.accounts.conftest import atproto_settings
from tests.accounts.test_bluesky import _app_password
from tests.conversation.harness import texts
from tests.export.test_live import members, records
from tests.orgs.conftest import GROUP, GroupPlatform, give_archive, in_group, private
from tests.orgs.test_group import NAME, join_privately, setup_org
from tests.servers.atproto import Account, AtprotoNetwork
from tests.servers.fixtures import atproto_network

__all__ = ["atproto_network", "atproto_settings"]

pytestmark = pytest.mark.server


@pytest.fixture
async def live(atproto_settings: Settings) -> AsyncIterator[Services]:
    services = await Services.start(atproto_settings, processes=False)
    try:
        yield services
    finally:
        await services.close()


async def connect(
    dispatcher: Dispatcher, platform: GroupPlatform, net: AtprotoNetwork, user: str
) -> Account:
    """`user` connects a new Bluesky account in private."""
    account = net.create_account(user[0] + secrets.token_hex(5), display_name=user.title())
    password = await asyncio.to_thread(_app_password, net, account.handle)
    said = texts(await private(dispatcher, platform, user).say(
        f"/connect bluesky {account.handle} {password}"
    ))  # fmt: skip
    assert f"Connected to Bluesky as {account.handle}" in said
    return account


async def test_starter_pack_of_the_roster_on_the_admins_account(
    live: Services, atproto_network: AtprotoNetwork
) -> None:
    net = atproto_network
    dispatcher = Dispatcher(live, build_registry())
    platform = GroupPlatform(name="telegram", chat_admins={"boss"})
    await private(dispatcher, platform, "boss").say("/start")  # its private chat is known
    boss = await connect(dispatcher, platform, net, "boss")

    await give_archive(live, "alice", "111", "alice_x")
    await give_archive(live, "bob", "222", "bob_x")
    token = await setup_org(dispatcher, platform)
    for user in ("alice", "bob", "carol"):  # carol is a member, but not listed
        await join_privately(dispatcher, platform, user, token, listed=user != "carol")
    dids = {
        name: (await connect(dispatcher, platform, net, name)).did for name in ("alice", "bob")
    }
    await connect(dispatcher, platform, net, "carol")

    # connected after agreeing: in the directory under the organisation at once
    org = await OrgStore(live.db).by_chat("telegram", GROUP)
    assert org is not None
    d = directory_entries.c
    query = select(d.x_id, d.did, d.provenance_detail).where(d.provenance == "org_roster")
    async with live.db.begin() as conn:
        rows = set(await conn.execute(query))
    assert rows == {(111, dids["alice"], f"org:{org.id}"), (222, dids["bob"], f"org:{org.id}")}

    await asyncio.to_thread(net.wait_for_profiles, list(dids.values()))
    in_the_group = in_group(dispatcher, platform, "boss")
    assert "sent it to you in private" in texts(await in_the_group.say("/group starterpack"))
    said = texts(private(dispatcher, platform, "boss").new_replies())
    assert f"The starter pack “{NAME}” is ready with 2 accounts" in said
    url = re.search(rf"https://bsky\.app/starter-pack/{re.escape(boss.handle)}/(\w+)", said)
    assert url, said
    packs = await asyncio.to_thread(records, net.pds_url, boss.did, "app.bsky.graph.starterpack")
    assert len(packs) == 1 and packs[0]["uri"].endswith("/" + url.group(1))
    assert packs[0]["value"]["name"] == NAME
    in_pack = await asyncio.to_thread(members, net.pds_url, boss.did, packs[0]["value"]["list"])
    assert sorted(in_pack) == sorted(dids.values())
    for text in platform.texts_in(GROUP):  # the group only saw confirmations
        assert "bsky.app" not in text and ".test" not in text
