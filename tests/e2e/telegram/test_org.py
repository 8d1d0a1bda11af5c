"""An organisation migrates together on the emulated Telegram, in French, with the real bot.

A group with its creator (the admin), two members who join and a plain member who tries to
take over: setup is for admins, members join through the deep link and agree to the roster
in private, `/progress` counts them, `/forget` takes one out, and removing the bot from the
group marks the organisation removed (then purged after the retention period, with a clock
moved on). Nothing the bot writes in the group names anyone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chatbot.config import Settings
from chatbot.i18n import translator
from chatbot.orgs import OrgStore
from chatbot.orgs.loop import OrgLoop
from chatbot.orgs.store import Organisation
from chatbot.services import Services
from tests.e2e.telegram.conftest import BOT_USERNAME, Deployment, _deploy
from tests.e2e.telegram.driver import Group, Message, TelegramUser, text_of

FR = translator("fr")
NAME = "Ville de Test"
JOIN_LINK = re.compile(rf"https://t\.me/{BOT_USERNAME}\?start=(join_[A-Za-z0-9_-]+)")


@dataclass
class Person(TelegramUser):
    """A Telegram user with a public @username, so that the group can be checked for it."""

    username: str = ""

    def spec(self) -> dict[str, Any]:
        return {**super().spec(), "username": self.username}


@dataclass
class Telegram:
    deployment: Deployment
    bot_data: Path  # the bot's data directory (its SQLite database)


@pytest.fixture(scope="module")
def telegram_org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Telegram]:
    """A bot of its own, so the test can open its database afterwards."""
    tmp = tmp_path_factory.mktemp("telegram-org")
    for deployment in _deploy(tmp, local=False):
        yield Telegram(deployment, tmp / "bot")


def person(telegram: Deployment, user_id: int, first_name: str, username: str) -> Person:
    return Person(telegram.emulator, user_id, first_name, "fr", username=username)


def buttons(message: Message) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [str(button["callback_data"]) for row in rows for button in row]


def join_privately(member: Person, group: Group) -> None:
    """`/join` in the group, the deep link's `/start` in private, then "yes, list me"."""
    member.send("/join", group)
    shown = text_of(member.wait_text("https://t.me/", group=group))
    link = JOIN_LINK.search(shown)
    assert link is not None and shown == FR("org.join.link", link=link.group(0)), shown
    member.send(f"/start {link.group(1)}")
    member.wait_text(FR("org.join.welcome", name=NAME))
    question = member.wait_text(FR("org.roster.question", name=NAME))
    [yes] = [data for data in buttons(question) if data.endswith(":yes")]
    member.press(question, yes)
    # no new accounts yet: listed as soon as they connect or link one
    member.wait_text(FR("org.roster.listed_later", name=NAME, connect="/connect", link="/link"))


def progress(admin: Person, group: Group) -> str:
    admin.send("/progress", group)
    replies = admin.wait_replies(lambda ms: any("photo" in m for m in ms), group=group)
    [text] = [text_of(m) for m in replies if "photo" not in m]
    return text


async def removed(services: Services, group: Group) -> Organisation:
    """The group's organisation, once the bot has marked it removed."""
    store = OrgStore(services.db)
    for _ in range(400):
        org = await store.by_chat("telegram", str(group.chat_id))
        assert org is not None
        if org.removed_at is not None:
            return org
        await asyncio.sleep(0.05)
    raise AssertionError("the organisation was not marked removed")


async def test_an_organisation_migrates_together(
    telegram_org: Telegram, settings: Settings
) -> None:
    telegram = telegram_org.deployment
    admin = person(telegram, 20_001, "Solène", "solene_mairie")
    amelie = person(telegram, 20_002, "Amélie", "amelie_k")
    bastien = person(telegram, 20_003, "Bastien", "bastien_r")
    outsider = person(telegram, 20_004, "Octave", "octave_z")
    group = Group(-2_000_001, title="Mairie — migration")
    spec = {
        "chat": group.spec(),
        "creator": admin.spec(),
        "members": [amelie.spec(), bastien.spec(), outsider.spec()],
    }
    assert telegram.emulator.http.post("/_test/group", json=spec).json()["ok"]

    # a plain member cannot register the organisation; the group's creator can
    outsider.send(f"/group setup {NAME}", group)
    assert text_of(outsider.wait_replies(bool, group=group)[0]) == FR("group.admins_only")
    admin.send(f"/group setup {NAME}", group)
    admin.wait_text(FR("org.setup.created", name=NAME), group=group)
    admin.wait_text(FR("org.setup.next", join="/join", progress="/progress"), group=group)

    for member in (amelie, bastien):
        join_privately(member, group)
    assert FR.plural("org.progress.joined", 2) in progress(admin, group)

    # bastien forgets everything: he is out of the organisation's numbers
    bastien.send("/forget")
    question = bastien.wait_text(FR("forget.confirm"))
    bastien.press(question, "forget:yes")
    bastien.wait_text(FR("forget.done"))
    shown = progress(admin, group)
    assert FR.plural("org.progress.joined", 1) in shown
    assert FR("org.progress.title", name=NAME) in shown

    # the admin removes the bot: the organisation is marked removed, then purged in time
    body = {"chat_id": group.chat_id, "status": "kicked", "by": admin.spec()}
    assert telegram.emulator.http.post("/_test/bot_status", json=body).json()["ok"]
    bot_settings = settings.model_copy(update={"data_dir": telegram_org.bot_data})
    services = await Services.start(bot_settings, processes=False)  # the bot's database
    try:
        org = await removed(services, group)
        store = OrgStore(services.db)
        assert org.name == NAME and len(await store.members(org.id)) == 1  # amélie, kept
        loop = OrgLoop(services, {})
        now = dt.datetime.now(dt.UTC)
        assert await loop.purge(now) == 0  # kept for the retention period
        later = now + dt.timedelta(days=settings.org_retention_days + 1)
        assert await loop.purge(later) == 1
        assert await store.get(org.id) is None
        assert await store.members(org.id) == []
    finally:
        await services.close()
    amelie.send("/progress", group)
    assert not amelie.delivered  # the bot is not in the group any more

    _, messages = telegram.emulator.messages(group.chat_id)
    from_bot = [text_of(m) for m in messages if m["from_bot"]]
    assert len(from_bot) >= 8, from_bot
    people = (admin, amelie, bastien, outsider)
    personal = [str(p.user_id) for p in people] + [p.first_name for p in people]
    personal += [p.username for p in people] + ["@" + p.username for p in people]
    for text in from_bot:
        for secret in personal:
            assert secret not in text, f"{secret!r} shown in the group: {text!r}"
    assert "Traceback" not in telegram.bot_log()
