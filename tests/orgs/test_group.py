"""Organisations through the real dispatcher, on SQLite and PostgreSQL: setup, joining,
the roster, progress, leaving and forgetting; the group never sees anyone's data."""

from __future__ import annotations

import io
import re
import time

from PIL import Image as PILImage
from sqlalchemy import select

from chatbot.conversation import Dispatcher
from chatbot.matching.model import Direction, Match, Network, Reason, Tier
from chatbot.orgs import OrgStore
from chatbot.platforms.base import Image, Text
from chatbot.services import Services
from chatbot.storage.schema import directory_entries
from tests.conversation.harness import texts
from tests.orgs.conftest import (
    GROUP,
    GroupPlatform,
    give_archive,
    give_follows,
    in_group,
    private,
    user_id,
)

NAME = "Mairie de Testville"
PERSONAL = [
    "alice",
    "bob",
    "boss",
    "mallory",
    "111",
    "222",
    "alice_x",
    "bob_x",
    "display",
    "alice.bsky.social",
    "did:plc:",
    "bob@mastodon.example",
    "dm-",
]


def match(x_id: int, network: Network, tier: Tier, direction: Direction = "follower") -> Match:
    did = f"did:plc:m{x_id}" if network == "bluesky" else None
    acct = f"m{x_id}@mastodon.example" if network == "mastodon" else None
    return Match(
        x_id,
        None,
        network,
        did or acct,
        did,
        acct,
        tier,
        (Reason.of("directory_link"),),
        direction,
    )


async def setup_org(dispatcher: Dispatcher, platform: GroupPlatform) -> str:
    """The admin registers the organisation; returns the join token."""
    boss = in_group(dispatcher, platform, "boss")
    assert "is registered" in texts(await boss.say(f"/group setup {NAME}"))
    alice = in_group(dispatcher, platform, "alice")
    shown = texts(await alice.say("/join"))
    found = re.search(r"start=join_([A-Za-z0-9_-]+)", shown)
    assert found, shown
    return found.group(1)


async def join_privately(
    dispatcher: Dispatcher, platform: GroupPlatform, user: str, token: str, listed: bool
) -> None:
    chat = private(dispatcher, platform, user)
    replies = await chat.say(f"/start join_{token}")
    assert NAME in texts(replies)
    question = [r for r in replies if isinstance(r, Text) and r.buttons][-1]
    data = [b.data for row in question.buttons for b in row]
    assert data[0].startswith("org:roster:") and data[0].endswith(":yes")
    await chat.press(data[0] if listed else data[1])


async def test_admin_only_and_members_join(
    dispatcher: Dispatcher, platform: GroupPlatform, services: Services
) -> None:
    mallory = in_group(dispatcher, platform, "mallory")
    assert "administrators can do that" in texts(await mallory.say("/group setup Evil"))
    assert "no organisation yet" in texts(await mallory.say("/join"))
    token = await setup_org(dispatcher, platform)
    assert "administrators can do that" in texts(await mallory.say("/group digest on"))
    assert "administrators can do that" in texts(await mallory.say("/group setup Renamed"))
    assert "/join" in texts(await private(dispatcher, platform, "x").say("/join"))  # group only
    for user in ("alice", "bob", "carol"):
        await join_privately(dispatcher, platform, user, token, listed=user != "bob")
    org = await OrgStore(services.db).by_chat("telegram", GROUP)
    assert org is not None and org.name == NAME
    members = await OrgStore(services.db).members(org.id)
    assert len(members) == 3
    assert sum(m.roster for m in members) == 2
    assert "administrators can do that" in texts(await mallory.say("/group delete"))


async def test_progress_numbers_chart_and_privacy(
    dispatcher: Dispatcher, platform: GroupPlatform, services: Services
) -> None:
    await give_archive(services, "alice", "111", "alice_x")
    await services.accounts.save(
        await user_id(services, "alice"),
        "bluesky",
        handle="alice.bsky.social",
        service_url="https://pds.example",
        secret="s",
        did="did:plc:alice",
    )
    await services.accounts.save(
        await user_id(services, "bob"),
        "mastodon",
        handle="bob@mastodon.example",
        service_url="https://mastodon.example",
        secret="t",
    )
    await give_follows(services, "alice", ["followed", "requested", "skipped"])
    await give_follows(services, "bob", ["followed", "failed"])
    await give_follows(services, "mallory", ["followed"])  # not a member: not counted
    token = await setup_org(dispatcher, platform)
    await join_privately(dispatcher, platform, "alice", token, listed=True)
    await join_privately(dispatcher, platform, "bob", token, listed=False)
    await join_privately(dispatcher, platform, "carol", token, listed=True)  # not moved

    boss = in_group(dispatcher, platform, "boss")
    assert "no organisation" not in texts(await boss.say("/progress"))
    assert "not measured yet" in texts(boss.new_replies() or await boss.say("/progress"))
    assert "archive" in texts(await boss.say("/group audience"))  # no archive yet
    await give_archive(services, "boss", "999", "mairie", followers=[1, 2, 3, 4])
    boss_id = await user_id(services, "boss")
    services.match_cache[boss_id] = (
        time.monotonic(),
        [
            match(1, "bluesky", "verified"),
            match(2, "bluesky", "likely", "both"),
            match(3, "bluesky", "possible"),
            match(1, "mastodon", "verified"),
            match(9, "bluesky", "verified", "following"),
        ],
    )
    assert "4 X followers" in texts(await boss.say("/group audience"))

    replies = await boss.say("/progress")
    shown = texts(replies)
    assert "3 members joined" in shown
    assert "2 members have a Bluesky or Mastodon account" in shown
    assert "3 follows re-created" in shown
    assert "50% found on Bluesky (2)" in shown
    assert "25% found on Mastodon (1)" in shown
    chart, audience = [r for r in replies if isinstance(r, Image)]
    assert chart.data.startswith(b"\x89PNG\r\n\x1a\n")
    # where the audience went (issue 15 item 7): its followers only, every tier, no names
    assert audience.name == "audience.png" and "counts only, nobody named" in str(audience.caption)
    drawn = PILImage.open(io.BytesIO(audience.data))
    assert drawn.format == "PNG" and drawn.width == 800
    assert drawn.text["Description"].splitlines() == [
        f"Where the audience of {NAME} went",
        "Its followers on X: 3 found of 4",
        "  Bluesky: 3 (verified 1, likely 1, possible 1)",
        "  Mastodon: 1 (verified 1, likely 0, possible 0)",
        "  Threads: 0 (verified 0, likely 0, possible 0)",
    ]

    # alice's handles are in the directory under the organisation, bob's are not
    org = await OrgStore(services.db).by_chat("telegram", GROUP)
    assert org is not None
    async with services.db.begin() as conn:
        rows = list(await conn.execute(select(directory_entries)))
    assert [
        (r.x_id, r.network, r.did, r.provenance, r.provenance_detail, r.new_account_proof)
        for r in rows
    ] == [(111, "bluesky", "did:plc:alice", "org_roster", f"org:{org.id}", "login")]

    for text in platform.texts_in(GROUP):
        for secret in PERSONAL:
            assert secret not in text, f"{secret!r} shown in the group: {text!r}"


async def test_french_organisation_speaks_french_in_the_group(
    dispatcher: Dispatcher, platform: GroupPlatform
) -> None:
    await setup_org(dispatcher, platform)
    boss = in_group(dispatcher, platform, "boss")
    assert "français, anglais" not in texts(await boss.say("/group lang fr en"))
    shown = texts(await boss.say("/progress"))
    assert "Progression de" in shown and "Progress of" in shown  # both languages
    assert "Langues" in texts(await boss.say("/group"))


async def test_leave_and_forget_remove_the_member_everywhere(
    dispatcher: Dispatcher, platform: GroupPlatform, services: Services
) -> None:
    for name, x_id in (("alice", "111"), ("bob", "222")):
        await give_archive(services, name, x_id, f"{name}_x")
        await services.accounts.save(
            await user_id(services, name),
            "bluesky",
            handle=f"{name}.bsky.social",
            service_url="https://pds",
            secret="s",
            did=f"did:plc:{name}",
        )
    token = await setup_org(dispatcher, platform)
    await join_privately(dispatcher, platform, "alice", token, listed=True)
    await join_privately(dispatcher, platform, "bob", token, listed=True)
    store = OrgStore(services.db)
    org = await store.by_chat("telegram", GROUP)
    assert org is not None

    async def listed() -> set[int]:
        async with services.db.begin() as conn:
            query = select(directory_entries.c.x_id).where(
                directory_entries.c.provenance == "org_roster"
            )
            return {int(x) for (x,) in await conn.execute(query)}

    assert await listed() == {111, 222}
    assert "left the organisation" in texts(
        await in_group(dispatcher, platform, "bob").say("/leave")
    )
    assert await listed() == {111}
    alice = private(dispatcher, platform, "alice")
    await alice.say("/forget")
    assert "deleted everything" in texts(await alice.press("forget:yes"))
    assert await listed() == set()
    assert await store.members(org.id) == []
    assert "not a member" in texts(await in_group(dispatcher, platform, "bob").say("/leave"))
