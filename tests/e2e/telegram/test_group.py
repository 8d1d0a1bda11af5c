"""The bot in a group: addressed commands only, and personal data never shown there."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from chatbot.i18n import translator
from tests.e2e.telegram import archives
from tests.e2e.telegram.conftest import BOT_USERNAME, Deployment
from tests.e2e.telegram.driver import Group, TelegramUser, text_of

EN = translator("en")
LINK = f"https://t.me/{BOT_USERNAME}?start=from_group"
_group_ids = itertools.count(-1_000_001, -1)


def new_group(*, privacy: bool = True) -> Group:
    return Group(next(_group_ids), privacy=privacy)


def assert_no_personal_data(user: TelegramUser, group: Group) -> None:
    _, messages = user.emulator.messages(group.chat_id)
    for message in messages:
        if message["from_bot"]:
            text = text_of(message)
            assert archives.USERNAME not in text
            assert archives.DISPLAY_NAME not in text
            assert "followers" not in text and "accounts followed" not in text
            assert "photo" not in message and "document" not in message


def test_help_addressed_to_the_bot_is_answered(telegram: Deployment) -> None:
    group, user = new_group(), telegram.user()
    user.send(f"/help@{BOT_USERNAME}", group)
    assert "/lang" in text_of(user.wait_text(EN("help.title"), group=group))


def test_commands_for_other_bots_and_chatter_are_ignored(telegram: Deployment) -> None:
    group, user = new_group(privacy=False), telegram.user()  # the bot sees every message
    first = user.send("/start@some_other_bot", group)
    user.send("I am just chatting with friends", group)
    user.send(f"/help@{BOT_USERNAME}", group)
    user.wait_text(EN("help.title"), group=group)
    time.sleep(0.5)
    replies = user.replies(group, after=first["message_id"])
    assert [text_of(m).startswith(EN("help.title")) for m in replies] == [True]


def test_privacy_mode_keeps_other_bots_commands_away(telegram: Deployment) -> None:
    group, user = new_group(), telegram.user()
    user.send("/start@some_other_bot", group)
    assert not user.delivered
    user.send("hello everyone", group)
    assert not user.delivered
    user.send(f"/start@{BOT_USERNAME}", group)
    assert user.delivered
    welcome = user.wait_text(EN("start.welcome"), group=group)
    assert EN("start.how_to_get_archive") not in [text_of(m) for m in user.replies(group)]
    assert welcome["chat"]["id"] == group.chat_id


@pytest.mark.parametrize("how", ["caption", "reply"])
def test_archive_in_a_group_moves_to_a_private_chat(
    telegram: Deployment, tmp_path: Path, how: str
) -> None:
    group, user = new_group(), telegram.user()
    archive = archives.write_zip(tmp_path / "twitter.zip")
    if how == "caption":
        user.send_file(archive, group, caption=f"@{BOT_USERNAME} here is my archive")
    else:
        user.send(f"/help@{BOT_USERNAME}", group)
        help_message = user.wait_text(EN("help.title"), group=group)
        user.send_file(archive, group, caption="my archive", reply_to=help_message["message_id"])
    reply = user.wait_text(LINK, group=group)
    assert text_of(reply) == EN("group.continue_in_private_link", link=LINK)
    time.sleep(0.5)
    assert len(user.replies(group)) == 1
    assert_no_personal_data(user, group)

    # following the deep link opens the private chat with "/start from_group"
    user.send("/start from_group")
    user.wait_text(EN("group.private_hello"))
    user.send_file(archive)
    user.wait_text(f"@{archives.USERNAME}", archives.DISPLAY_NAME, timeout=30)
    assert_no_personal_data(user, group)


def test_personal_commands_in_a_group_move_to_a_private_chat(
    telegram: Deployment, tmp_path: Path
) -> None:
    user = telegram.user()
    user.send_file(archives.write_zip(tmp_path / "twitter.zip"))  # the bot knows the archive
    user.wait_text(f"@{archives.USERNAME}", timeout=30)
    group = new_group()
    for command in ("summary", "forget"):
        user.send(f"/{command}@{BOT_USERNAME}", group)
        reply = user.wait_text(LINK, group=group)
        assert text_of(reply) == EN("group.continue_in_private_link", link=LINK)
    assert_no_personal_data(user, group)
