"""Roster entries follow the organisation, not its name, and the member's accounts as they
change: a rename or a namesake loses nothing, and a /link shows at once."""

from __future__ import annotations

from sqlalchemy import select

from chatbot.conversation import Dispatcher
from chatbot.networks.types import BlueskyProfile
from chatbot.orgs import OrgStore
from chatbot.services import Services
from chatbot.storage.schema import directory_entries
from devtools.memnet import MemoryBluesky
from tests.conversation.harness import Chat, texts
from tests.orgs.conftest import GROUP, GroupPlatform, give_archive, in_group, private, user_id
from tests.orgs.test_group import NAME, join_privately, setup_org

OTHER_GROUP = "group-43"


async def roster_entries(services: Services) -> set[tuple[int, str, str | None]]:
    """(X id, network, provenance_detail) of every entry the organisations put there."""
    d = directory_entries.c
    query = select(d.x_id, d.network, d.provenance_detail).where(d.provenance == "org_roster")
    async with services.db.begin() as conn:
        return {(int(x), str(n), detail) for x, n, detail in await conn.execute(query)}


async def connect_bluesky(services: Services, name: str) -> None:
    await services.accounts.save(
        await user_id(services, name),
        "bluesky",
        handle=f"{name}.bsky.social",
        service_url="https://pds",
        secret="s",
        did=f"did:plc:{name}",
    )


async def test_rename_and_namesake_keep_the_entries_apart(
    dispatcher: Dispatcher, platform: GroupPlatform, services: Services
) -> None:
    for name, x_id in (("alice", "111"), ("bob", "222")):
        await give_archive(services, name, x_id, f"{name}_x")
        await connect_bluesky(services, name)
    token = await setup_org(dispatcher, platform)
    await join_privately(dispatcher, platform, "alice", token, listed=True)
    store = OrgStore(services.db)
    org = await store.by_chat("telegram", GROUP)
    assert org is not None

    # another group registers an organisation with the same name; bob joins that one
    other_boss = Chat(dispatcher, platform, user="boss", chat=OTHER_GROUP, private=False)
    assert "is registered" in texts(await other_boss.say(f"/group setup {NAME}"))
    other = await store.by_chat("telegram", OTHER_GROUP)
    assert other is not None and other.id != org.id
    await join_privately(dispatcher, platform, "bob", other.join_token, listed=True)
    assert await roster_entries(services) == {
        (111, "bluesky", f"org:{org.id}"),
        (222, "bluesky", f"org:{other.id}"),
    }

    # renamed, then alice leaves: her entry goes, bob's (same old name) stays
    boss = in_group(dispatcher, platform, "boss")
    assert "now called “Ville Renommée”" in texts(await boss.say("/group setup Ville Renommée"))
    assert "left the organisation" in texts(
        await in_group(dispatcher, platform, "alice").say("/leave")
    )
    assert await roster_entries(services) == {(222, "bluesky", f"org:{other.id}")}

    # the first organisation, deleted, takes nothing of its namesake with it
    await join_privately(dispatcher, platform, "alice", org.join_token, listed=True)
    assert (111, "bluesky", f"org:{org.id}") in await roster_entries(services)
    await boss.say("/group delete")
    assert "deleted" in texts(await boss.press(f"org:delete:{org.id}:yes"))
    assert await roster_entries(services) == {(222, "bluesky", f"org:{other.id}")}


async def test_a_link_after_agreeing_shows_in_the_roster_at_once(
    dispatcher: Dispatcher, platform: GroupPlatform, services: Services
) -> None:
    await give_archive(services, "alice", "111", "alice_x")
    token = await setup_org(dispatcher, platform)
    await join_privately(dispatcher, platform, "alice", token, listed=True)
    assert "once you connect" in texts(private(dispatcher, platform, "alice").new_replies())
    assert await roster_entries(services) == set()  # nothing to list yet
    org = await OrgStore(services.db).by_chat("telegram", GROUP)
    assert org is not None

    bluesky = MemoryBluesky()
    bluesky.add([BlueskyProfile("did:plc:alice", "alice.bsky.social")])
    services.bluesky = bluesky
    alice = private(dispatcher, platform, "alice")
    assert "put this code in its bio" in texts(await alice.say("/link bluesky alice.bsky.social"))
    assert await roster_entries(services) == {(111, "bluesky", f"org:{org.id}")}  # no hourly wait

    await alice.say("/unlink")
    assert await roster_entries(services) == set()
