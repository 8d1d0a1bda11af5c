"""Join links on the emulated Telegram, with the real bot: a forwarded link grants nothing.

A group with its creator (the admin) and members, and people outside it. A link works
only for someone in the group when they use it (the bot asks getChatMember); people who
leave or are removed lose their membership; ``/group newlink`` and expiry make old links
fail. Threat model §4.12.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from chatbot.i18n import translator
from chatbot.orgs import OrgStore
from chatbot.storage.db import Database
from chatbot.storage.schema import organisations
from tests.e2e.telegram.conftest import BOT_USERNAME, Deployment, _deploy
from tests.e2e.telegram.driver import Group, Message, TelegramUser, text_of

FR = translator("fr")
NAME = "Collectif Test"
LINK = re.compile(rf"https://t\.me/{BOT_USERNAME}\?start=(join_([A-Za-z0-9_-]+))")
HOURS = 168  # CHATBOT_JOIN_LINK_HOURS's default


@dataclass
class Telegram:
    deployment: Deployment
    bot_data: Path


@pytest.fixture(scope="module")
def telegram_orgs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Telegram]:
    """A bot of its own, so the test can move its clock (the token's issue date)."""
    tmp = tmp_path_factory.mktemp("telegram-join")
    for deployment in _deploy(tmp, local=False):
        yield Telegram(deployment, tmp / "bot")


def person(telegram: Deployment, user_id: int, name: str) -> TelegramUser:
    return TelegramUser(telegram.emulator, user_id, name, "fr")


def set_status(telegram: Deployment, group: Group, who: TelegramUser, status: str) -> None:
    body = {"chat_id": group.chat_id, "user": who.spec(), "status": status}
    assert telegram.emulator.http.post("/_test/member", json=body).json()["ok"]


def join_link(member: TelegramUser, group: Group) -> tuple[str, str]:
    """`/join` in the group: (the /start payload, the token) of the deep link shown."""
    member.send("/join", group)
    found = LINK.search(text_of(member.wait_text("https://t.me/", group=group)))
    assert found is not None
    return found.group(1), found.group(2)


def use(user: TelegramUser, payload: str) -> list[Message]:
    """Follow the link (the private /start PAYLOAD); the bot's answers once it settled."""
    user.send(f"/start {payload}")
    first = user.wait_replies(bool)
    time.sleep(0.5)  # a roster question would follow at once
    return user.replies() or first


def is_refused(replies: list[Message], key: str, **params: Any) -> bool:
    texts = [text_of(m) for m in replies]
    return texts == [FR(key, **params)] and not any("reply_markup" in m for m in replies)


def joins(user: TelegramUser, payload: str) -> None:
    user.send(f"/start {payload}")
    user.wait_text(FR("org.join.welcome", name=NAME))
    question = user.wait_text(FR("org.roster.question", name=NAME))
    rows = question["reply_markup"]["inline_keyboard"]
    user.press(question, next(b["callback_data"] for row in rows for b in row
                              if b["callback_data"].endswith(":yes")))  # fmt: skip
    user.wait_text(FR("org.roster.listed_later", name=NAME, connect="/connect", link="/link"))


async def members(bot_data: Path, group: Group) -> int:
    db = Database(f"sqlite+aiosqlite:///{bot_data / 'chatbot.sqlite3'}")
    try:
        org = await OrgStore(db).by_chat("telegram", str(group.chat_id))
        assert org is not None
        return len(await OrgStore(db).members(org.id))
    finally:
        await db.close()


async def age_the_link(bot_data: Path, group: Group, hours: int) -> None:
    """Move the bot's clock: its join token was issued `hours` ago."""
    db = Database(f"sqlite+aiosqlite:///{bot_data / 'chatbot.sqlite3'}")
    issued = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)
    try:
        async with db.begin() as conn:
            o = organisations.c
            await conn.execute(
                update(organisations)
                .where(o.platform == "telegram", o.chat_id == str(group.chat_id))
                .values(join_token_issued_at=issued)
            )
    finally:
        await db.close()


async def test_a_join_link_works_only_for_current_members_and_while_valid(
    telegram_orgs: Telegram,
) -> None:
    telegram = telegram_orgs.deployment
    admin, ann, bea = (
        person(telegram, 30_001 + i, n) for i, n in enumerate(("Sol", "Ann", "Bea"))
    )
    carl, dan, otto = (
        person(telegram, 30_004 + i, n) for i, n in enumerate(("Carl", "Dan", "Otto"))
    )
    group = Group(-3_000_001, title="Collectif")
    spec = {"chat": group.spec(), "creator": admin.spec(),
            "members": [p.spec() for p in (ann, bea, carl, dan)]}  # fmt: skip
    assert telegram.emulator.http.post("/_test/group", json=spec).json()["ok"]
    admin.send(f"/group setup {NAME}", group)
    admin.wait_text(FR("org.setup.created", name=NAME), group=group)

    payload, token = join_link(ann, group)
    assert len(payload) <= 64 and len(token) >= 22  # a deep-link payload; ≥ 128 random bits

    # otto was never in the group: the forwarded link gives him nothing
    assert is_refused(use(otto, payload), "org.join.not_member", join="/join")
    # bea was removed from the group before she used the link she was given
    set_status(telegram, group, bea, "kicked")
    assert is_refused(use(bea, payload), "org.join.not_member", join="/join")
    # ann, a member, joins
    joins(ann, payload)
    assert await members(telegram_orgs.bot_data, group) == 1

    # ann leaves the group: her membership ends, and the roster question no longer works
    question = ann.wait_text(FR("org.roster.question", name=NAME), after=0)
    set_status(telegram, group, ann, "left")
    for _ in range(100):  # the bot handles the service message in its own time
        if not await members(telegram_orgs.bot_data, group):
            break
        await asyncio.sleep(0.1)
    assert await members(telegram_orgs.bot_data, group) == 0
    ann.press(question, question["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    ann.wait_text(FR("org.roster.not_member"))

    # a plain member cannot replace the link; the admin can, and the old one then fails
    carl.send("/group newlink", group)
    assert text_of(carl.wait_replies(bool, group=group)[0]) == FR("group.admins_only")
    admin.send("/group newlink", group)
    admin.wait_text(FR("org.join.rotated", join="/join"), group=group)
    assert is_refused(use(carl, payload), "org.join.bad_token")
    new_payload, new_token = join_link(carl, group)
    assert new_token != token
    joins(carl, new_payload)

    # a link older than its lifetime fails; /join then hands out a fresh one
    await age_the_link(telegram_orgs.bot_data, group, HOURS + 1)
    assert is_refused(use(dan, new_payload), "org.join.bad_token")
    fresh_payload, fresh_token = join_link(dan, group)
    assert fresh_token not in (token, new_token)
    joins(dan, fresh_payload)
    assert await members(telegram_orgs.bot_data, group) == 2  # carl and dan
    assert "Traceback" not in telegram.bot_log()
