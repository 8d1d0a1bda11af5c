"""An organisation migrates together in a room of a real Synapse, with the real bot.

The room's creator is its admin; a member with power level 0 may not set it up. Members
`!join`: the bot opens a direct room with each and asks there (numbered choices, Matrix has
no buttons) whether to list them in the roster. `!progress` counts them, `!forget` takes
one out, and kicking the bot marks the organisation removed (purged after the retention
period, with a clock moved on). Nothing the bot writes in the room names anyone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

import pytest

from chatbot.config import Settings
from chatbot.i18n import translator
from chatbot.orgs import OrgStore
from chatbot.orgs.loop import OrgLoop
from chatbot.orgs.store import Organisation
from chatbot.services import Services
from tests.e2e.matrix.conftest import BotProcess
from tests.e2e.matrix.driver import MatrixUser, as_shown

pytestmark = [pytest.mark.server, pytest.mark.slow]

EN = translator("en")
NAME = "Test City Hall"
People = Callable[[str], Awaitable[MatrixUser]]


async def answer(person: MatrixUser, room: str, bot: BotProcess, text: str) -> str:
    """The bot's first message in `room` after `text`."""
    mark = person.mark(room)
    await person.send_text(room, text)
    event = await person.wait_for(room, bot.user_id, lambda e: True, mark, f"an answer to {text}")
    return str(event.body)


async def direct_room(person: MatrixUser, bot: BotProcess, known: set[str]) -> str:
    """Accept the bot's invitation to a new direct room."""
    await person.wait(lambda: any(r not in known for r in person.invites), "the bot's invitation")
    room = next(r for r in person.invites if r not in known)
    await person.join(room)
    assert set(person.client.rooms[room].users) == {person.user_id, bot.user_id}
    return room


async def join(person: MatrixUser, group: str, bot: BotProcess) -> str:
    """`!join` in the room, then "1" (yes, list me) in the direct room the bot opened."""
    assert await answer(person, group, bot, "!join") == EN("org.join.wrote_privately")
    direct = await direct_room(person, bot, {group})
    await person.wait_text(direct, bot.user_id, EN("org.join.welcome", name=NAME), 0)
    question = await person.wait_text(direct, bot.user_id, EN("org.roster.question", name=NAME), 0)
    assert f"1. {EN('org.roster.yes')}" in question and f"2. {EN('org.roster.no')}" in question
    listed = as_shown(EN("org.roster.listed_later", name=NAME, connect="/connect", link="/link"))
    assert await answer(person, direct, bot, "1") == listed
    return direct


async def progress(admin: MatrixUser, group: str, bot: BotProcess) -> str:
    mark = admin.mark(group)
    await admin.send_text(group, "!progress")
    text = await admin.wait_text(group, bot.user_id, EN("org.progress.title", name=NAME), mark)
    await admin.wait_for(
        group, bot.user_id, lambda e: bool(getattr(e, "url", None)), mark, "the progress chart"
    )
    return text


async def removed(services: Services, room: str) -> Organisation:
    """The room's organisation, once the bot has marked it removed."""
    store = OrgStore(services.db)
    for _ in range(600):
        org = await store.by_chat("matrix", room)
        assert org is not None
        if org.removed_at is not None:
            return org
        await asyncio.sleep(0.05)
    raise AssertionError("the organisation was not marked removed")


async def test_an_organisation_migrates_together(
    people: People, bot: BotProcess, settings: Settings
) -> None:
    alice, bob, carol, dave = [await people(n) for n in ("alice", "bob", "carol", "dave")]
    group = await alice.create_room(
        [bot.user_id, bob.user_id, carol.user_id, dave.user_id], direct=False, encrypted=False
    )
    for person in (bob, carol, dave):
        await person.wait(lambda p=person: group in p.invites, "the invitation")  # type: ignore[misc]
        await person.join(group)
    await alice.wait_joined(group, bot.user_id)
    start = alice.mark(group)

    # dave (power level 0) may not register the organisation; alice (the creator) may
    assert await answer(dave, group, bot, f"!group setup {NAME}") == EN("group.admins_only")
    mark = alice.mark(group)
    await alice.send_text(group, f"!group setup {NAME}")
    await alice.wait_text(group, bot.user_id, EN("org.setup.created", name=NAME), mark)
    then = EN("org.setup.next", join="/join", progress="/progress")
    await alice.wait_text(group, bot.user_id, then, mark)

    await join(bob, group, bot)
    carol_direct = await join(carol, group, bot)
    assert EN.plural("org.progress.joined", 2) in await progress(alice, group, bot)

    # carol forgets everything (numbered choice "1": yes): she is out of the numbers
    confirm = await answer(carol, carol_direct, bot, "!forget")
    assert confirm.startswith(EN("forget.confirm")) and f"1. {EN('forget.yes')}" in confirm
    assert await answer(carol, carol_direct, bot, "1") == EN("forget.done")
    assert EN.plural("org.progress.joined", 1) in await progress(alice, group, bot)

    # alice kicks the bot: the organisation is marked removed, then purged in time
    await alice.kick(group, bot.user_id)
    services = await Services.start(
        settings.model_copy(update={"data_dir": bot.data_dir}), processes=False
    )
    try:
        org = await removed(services, group)
        store = OrgStore(services.db)
        assert org.name == NAME and len(await store.members(org.id)) == 1  # bob, kept
        loop = OrgLoop(services, {})
        now = dt.datetime.now(dt.UTC)
        assert await loop.purge(now) == 0  # kept for the retention period
        later = now + dt.timedelta(days=settings.org_retention_days + 1)
        assert await loop.purge(later) == 1
        assert await store.by_chat("matrix", group) is None
        assert await store.members(org.id) == []
    finally:
        await services.close()

    texts = [str(getattr(e, "body", "")) for e in alice.from_user(group, bot.user_id, start)]
    assert len(texts) >= 9, texts
    personal = []
    for person in (alice, bob, carol, dave):
        personal += [person.user_id, person.user_id[1:].split(":")[0]]
    for text in texts:
        for secret in personal:
            assert secret not in text, f"{secret!r} shown in the room: {text!r}"
