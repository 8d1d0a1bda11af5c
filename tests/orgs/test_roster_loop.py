"""The admins' roster CSV, the collective artefacts, the digest loop, removal and purge."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from chatbot.conversation import Dispatcher
from chatbot.orgs import OrgStore
from chatbot.orgs.loop import OrgLoop
from chatbot.orgs.roster_csv import parse_roster_csv
from chatbot.platforms.base import ChatEvent, IncomingMessage, UserRef
from chatbot.services import Services
from chatbot.storage.schema import directory_entries
from tests.conversation.harness import texts
from tests.orgs.conftest import GROUP, GroupPlatform, in_group, private
from tests.orgs.test_group import NAME, setup_org

GOOD = (
    "x_username,bluesky,mastodon,x_id\n"
    "mairie,mairie.bsky.social,mairie@mastodon.example,1001\n"
    "@maire,did:plc:abcdefghijklmnopqrstuvwx,,1002\n"
    "culture,,culture@social.example,\n"
)
BAD = "x_username,bluesky,mastodon\nok_name,ok.bsky.social,\nbad name!,x.bsky.social,\nnobody,,\n"


def test_roster_csv_parsing() -> None:
    rows, problems = parse_roster_csv(GOOD)
    assert problems == []
    assert [(r.x_username, r.x_id, r.bluesky, r.mastodon) for r in rows] == [
        ("mairie", 1001, "mairie.bsky.social", "mairie@mastodon.example"),
        ("maire", 1002, "did:plc:abcdefghijklmnopqrstuvwx", None),
        ("culture", None, None, "culture@social.example"),
    ]
    rows, problems = parse_roster_csv(BAD)
    assert [(p.line, p.code) for p in problems] == [(3, "bad_x_username"), (4, "no_account")]
    assert [(p.line, p.code) for p in parse_roster_csv("name,handle\na,b\n")[1]] == [
        (1, "bad_header")
    ]
    headerless, problems = parse_roster_csv("someone,some.bsky.social,\n")
    assert problems == [] and headerless[0].bluesky == "some.bsky.social"


async def test_roster_csv_through_the_private_chat(
    dispatcher: Dispatcher, platform: GroupPlatform, services: Services, tmp_path: Path
) -> None:
    await setup_org(dispatcher, platform)
    boss = in_group(dispatcher, platform, "boss")
    assert "open it first" in texts(await boss.say("/group roster"))  # no private chat yet
    boss_dm = private(dispatcher, platform, "boss")
    await boss_dm.say("/start")
    assert "in private" in texts(await boss.say("/group roster"))
    assert "CSV" in texts(boss_dm.new_replies())
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD)
    shown = texts(await boss_dm.upload(bad))
    assert "Nothing was imported" in shown and "Line 3" in shown and "Line 4" in shown
    await boss.say("/group roster")
    good = tmp_path / "roster.csv"
    good.write_text(GOOD)
    assert "Imported 3 accounts" in texts(await boss_dm.upload(good))
    org = await OrgStore(services.db).by_chat("telegram", GROUP)
    assert org is not None
    detail = f"org:{org.id}"  # the organisation's id, not its name
    async with services.db.begin() as conn:
        rows = list(await conn.execute(select(directory_entries)))
    assert {(r.x_id, r.network, r.x_proof, r.provenance, r.provenance_detail) for r in rows} == {
        (1001, "bluesky", "org_vouch", "org_roster", detail),
        (1001, "mastodon", "org_vouch", "org_roster", detail),
        (1002, "bluesky", "org_vouch", "org_roster", detail),
    }

    # the Mastodon import file and the announcement go to the admin's private chat
    assert "in private" in texts(await boss.say("/group mastodon"))
    csv = platform.files["following_accounts.csv"].decode()
    assert "mairie@mastodon.example,true,false," in csv
    assert "culture@social.example" in csv
    assert "first" in texts(await boss.say("/group announce"))  # no account of its own yet
    await boss.say("/group account bluesky mairie.bsky.social")
    await boss.say("/group account mastodon mairie@mastodon.example")
    boss_dm.new_replies()
    assert "in private" in texts(await boss.say("/group announce"))
    announced = texts(boss_dm.new_replies())
    assert "quitte X" in announced and "is leaving X" in announced
    assert "@mairie.bsky.social" in announced and "@mairie@mastodon.example" in announced
    # without a connected Bluesky account, no starter pack
    assert "/connect bluesky" in texts(await boss.say("/group starterpack"))


async def test_digest_loop_posts_weekly_aggregates(
    dispatcher: Dispatcher, platform: GroupPlatform, services: Services
) -> None:
    token = await setup_org(dispatcher, platform)
    await private(dispatcher, platform, "alice").say(f"/start join_{token}")
    boss = in_group(dispatcher, platform, "boss")
    assert "Every week" in texts(await boss.say("/group digest on"))
    start = dt.datetime.now(dt.UTC)
    now = [start + dt.timedelta(days=1)]
    loop = OrgLoop(services, {"telegram": platform}, clock=lambda: now[0], check_every_s=0.01)
    before = len(platform.texts_in(GROUP))
    assert await loop.run_once() == (0, 0)  # a day later: not yet
    now[0] = start + dt.timedelta(days=8)
    assert await loop.run_once() == (1, 0)
    digest = platform.texts_in(GROUP)[before:]
    assert len(digest) == 1 and "Weekly digest" in digest[0] and "1 member joined" in digest[0]
    assert await loop.run_once() == (0, 0)  # once a week
    org = await OrgStore(services.db).by_chat("telegram", GROUP)
    assert org is not None and len(await OrgStore(services.db).snapshots(org.id)) >= 2
    await boss.say("/group digest off")
    now[0] = start + dt.timedelta(days=30)
    assert await loop.run_once() == (0, 0)


async def _event(dispatcher: Dispatcher, platform: GroupPlatform, event: str) -> None:
    from chatbot.platforms.base import ChatRef

    chat = ChatRef("telegram", GROUP, is_private=False)
    user = UserRef("telegram", "boss")
    await dispatcher.handle(platform, IncomingMessage(chat, user, "e1", event=event))


@pytest.mark.parametrize("days", [10, 31])
async def test_bot_removed_then_purged_after_retention(
    dispatcher: Dispatcher, platform: GroupPlatform, services: Services, tmp_path: Path, days: int
) -> None:
    token = await setup_org(dispatcher, platform)
    alice = private(dispatcher, platform, "alice")
    await alice.say(f"/start join_{token}")
    boss_dm = private(dispatcher, platform, "boss")
    await boss_dm.say("/start")
    await in_group(dispatcher, platform, "boss").say("/group roster")
    good = tmp_path / "roster.csv"
    good.write_text(GOOD)
    await boss_dm.upload(good)
    store = OrgStore(services.db)
    sent = len(platform.sent)
    await _event(dispatcher, platform, ChatEvent.BOT_REMOVED)
    assert len(platform.sent) == sent  # events get no reply
    org = await store.by_chat("telegram", GROUP)
    assert org is not None and org.removed_at is not None
    loop = OrgLoop(
        services,
        {"telegram": platform},
        clock=lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=days),
    )
    _, purged = await loop.run_once()
    async with services.db.begin() as conn:
        entries = list(await conn.execute(select(directory_entries)))
    if days < services.settings.org_retention_days:
        assert purged == 0 and len(entries) == 3
        await _event(dispatcher, platform, ChatEvent.BOT_ADDED)
        back = await store.by_chat("telegram", GROUP)
        assert back is not None and back.removed_at is None and back.id == org.id
        assert len(await store.members(org.id)) == 1
    else:
        assert purged == 1 and entries == []
        assert await store.by_chat("telegram", GROUP) is None
        assert (
            await store.orgs_of_user((await services.users.get_or_create("telegram", "alice")).id)
            == []
        )


async def test_delete_after_confirmation(
    dispatcher: Dispatcher, platform: GroupPlatform, services: Services
) -> None:
    await setup_org(dispatcher, platform)
    boss = in_group(dispatcher, platform, "boss")
    question = (await boss.say("/group delete"))[-1]
    data = [b.data for row in question.buttons for b in row]  # type: ignore[union-attr]
    assert "administrators" in texts(await in_group(dispatcher, platform, "bob").press(data[0]))
    assert "Nothing was deleted" in texts(await boss.press(data[1]))
    assert "deleted" in texts(await boss.press(data[0]))
    assert await OrgStore(services.db).by_chat("telegram", GROUP) is None


async def test_matrix_like_join_continues_in_a_private_room(
    dispatcher: Dispatcher, services: Services
) -> None:
    platform = GroupPlatform(name="matrix", chat_admins={"boss"}, opens_private=True)
    boss = in_group(dispatcher, platform, "boss")
    await boss.say(f"/group setup {NAME}")
    assert "written to you in private" in texts(
        await in_group(dispatcher, platform, "alice").say("/join")
    )
    dm = private(dispatcher, platform, "alice")
    shown = texts(dm.new_replies())
    assert "Welcome" in shown and "roster" in shown
    org = await OrgStore(services.db).by_chat("matrix", GROUP)
    assert org is not None and len(await OrgStore(services.db).members(org.id)) == 1
