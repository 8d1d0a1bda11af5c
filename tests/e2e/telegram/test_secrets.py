"""Secrets typed in the wrong place, on the emulated Telegram with the real bot.

In a group of two members, an app password (addressed to the bot or not) or the group form
of ``/connect bluesky HANDLE PASSWORD`` is deleted when the bot is an administrator with
the right to delete, and its sender is told in private to revoke it; when the bot cannot
delete, the sender is told to delete and revoke it. The group reads nothing about it. At
the handle prompt, a password is deleted before the answer and never repeated.
Threat model §4.11.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from chatbot.conversation.secret_guard import REVOKE_URL
from chatbot.i18n import translator
from tests.e2e.telegram.conftest import BOT_USERNAME, Deployment
from tests.e2e.telegram.driver import Group, Message, TelegramUser, text_of

EN = translator("en")
PASSWORD = "k2x7-ab3d-q5rt-zz4m"
HANDLE = "zoe.bsky.social"
CONNECT = "/connect bluesky"
SUFFIX = "bsky.social"  # what a bare name gets (the examples in the handle messages say so)
_groups = itertools.count(-4_000_001, -1)


def warning(key: str) -> str:
    return EN(key, link=REVOKE_URL, connect=CONNECT)


def a_group(telegram: Deployment, people: list[TelegramUser], **bot: Any) -> Group:
    """A group with these members; `bot`: its status (and rights) there."""
    group = Group(next(_groups), title="Club")
    spec = {"chat": group.spec(), "creator": people[0].spec(),
            "members": [p.spec() for p in people[1:]]}  # fmt: skip
    assert telegram.emulator.http.post("/_test/group", json=spec).json()["ok"]
    if bot:
        body = {"chat_id": group.chat_id, "by": people[0].spec(), **bot}
        assert telegram.emulator.http.post("/_test/bot_status", json=body).json()["ok"]
    return group


def started(telegram: Deployment) -> TelegramUser:
    """A user who has a private chat with the bot already."""
    user = telegram.user()
    user.send("/start")
    user.wait_text(EN("start.welcome"))
    return user


def the_message(user: TelegramUser, sent: Message, group: Group) -> Message:
    _, messages = user.emulator.messages(group.chat_id)
    return next(m for m in messages if m["message_id"] == sent["message_id"])


def nothing_from_the_bot(user: TelegramUser, group: Group, after: Message) -> None:
    time.sleep(0.7)  # what the bot would post in the group, it posts at once
    assert user.replies(group, after=after["message_id"]) == []
    _, messages = user.emulator.messages(group.chat_id)
    for message in messages:
        if message["from_bot"]:
            assert PASSWORD not in text_of(message) and HANDLE not in text_of(message)


def test_an_admin_bot_deletes_a_password_even_unaddressed_and_warns_in_private(
    telegram: Deployment,
) -> None:
    zoe, friend = started(telegram), telegram.user(first_name="Max")
    group = a_group(telegram, [friend, zoe], status="administrator")
    sent = zoe.send(f"here is my app password {PASSWORD} oops", group)
    assert zoe.delivered  # an administrator bot sees every message
    told = zoe.wait_text(warning("secrets.group.deleted"))
    assert the_message(zoe, sent, group)["deleted"]  # deleteMessage for that message id
    nothing_from_the_bot(zoe, group, sent)

    sent = zoe.send(f"/connect@{BOT_USERNAME} bluesky {HANDLE} {PASSWORD}", group)
    zoe.wait_text(warning("secrets.group.deleted"), after=told["message_id"])
    assert the_message(zoe, sent, group)["deleted"]
    nothing_from_the_bot(zoe, group, sent)
    assert "Traceback" not in telegram.bot_log()


def test_a_bot_that_cannot_delete_tells_the_sender_privately_to_delete_and_revoke(
    telegram: Deployment,
) -> None:
    zoe, friend = started(telegram), telegram.user(first_name="Max")
    told = 0
    for bot in ({}, {"status": "administrator", "can_delete_messages": False}):
        group = a_group(telegram, [friend, zoe], **bot)
        sent = zoe.send(f"/connect@{BOT_USERNAME} bluesky {HANDLE} {PASSWORD}", group)
        told = zoe.wait_text(warning("secrets.group.not_deleted"), after=told)["message_id"]
        assert not the_message(zoe, sent, group)["deleted"]
        nothing_from_the_bot(zoe, group, sent)


def test_a_sender_the_bot_cannot_reach_gets_a_neutral_link_then_the_warning(
    telegram: Deployment,
) -> None:
    zoe, friend = telegram.user(), telegram.user(first_name="Max")  # zoe never wrote to it
    group = a_group(telegram, [friend, zoe])
    sent = zoe.send(f"/connect@{BOT_USERNAME} bluesky {HANDLE} {PASSWORD}", group)
    link = f"https://t.me/{BOT_USERNAME}?start=secret_warning"
    shown = zoe.wait_text(link, group=group)
    assert text_of(shown) == EN("secrets.group.see_private_link", name=zoe.first_name, link=link)
    nothing_from_the_bot(zoe, group, shown)  # and that line says nothing of the message
    zoe.send("/start secret_warning")
    zoe.wait_text(warning("secrets.private.from_group"))
    assert not the_message(zoe, sent, group)["deleted"]


def test_a_password_at_the_handle_prompt_is_deleted_first_and_never_echoed(
    telegram: Deployment,
) -> None:
    zoe = telegram.user()
    zoe.send("/connect bluesky")
    zoe.wait_text(EN("connect.bluesky.ask_handle", suffix=SUFFIX))
    sent = zoe.send("Hunter2-MyRealPassword!")
    refused = EN("connect.bluesky.bad_handle", suffix=SUFFIX)
    reply = zoe.wait_text(refused)
    assert text_of(reply) == EN("secrets.input.deleted") + "\n" + refused
    _, messages = zoe.emulator.messages(zoe.user_id)
    mine = next(m for m in messages if m["message_id"] == sent["message_id"])
    assert mine["deleted"]
    assert all("Hunter2" not in text_of(m) for m in messages if m["from_bot"])

    # an app password anywhere else in the private chat: deleted, and explained
    sent = zoe.send(f"/link bluesky {PASSWORD}")
    zoe.wait_text(warning("secrets.private.deleted"))
    _, messages = zoe.emulator.messages(zoe.user_id)
    assert next(m for m in messages if m["message_id"] == sent["message_id"])["deleted"]
    assert all(PASSWORD not in text_of(m) for m in messages if m["from_bot"])
