"""The secret guard through the real dispatcher: what looks like an app password, and the
paths the end-to-end tests do not take (a throttled sender, a known private chat, a
Mastodon prompt). Threat model §4.11."""

from __future__ import annotations

import pytest

from chatbot.conversation import Dispatcher
from chatbot.conversation.secret_guard import REVOKE_URL, holds_app_password
from chatbot.conversation.throttle import Throttle
from chatbot.i18n import translator
from chatbot.platforms.base import RecordingPlatform, Text
from chatbot.services import Services
from handlers import build_registry
from tests.conversation.harness import Chat, texts

EN = translator("en")
PASSWORD = "k2x7-ab3d-q5rt-zz4m"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (PASSWORD, True),
        (PASSWORD.upper(), True),
        (f"my password: {PASSWORD}.", True),
        (f"/connect bluesky me.bsky.social {PASSWORD}", True),
        ("2019-2020-2021-2022", False),  # digits outside base32
        ("123e4567-e89b-12d3-a456-426614174000", False),  # a UUID
        (f"{PASSWORD}-abcd", False),  # five groups: something else
        ("abcd-efgh-ijkl", False),
        ("x" * 100_000, False),
    ],
)
def test_what_looks_like_an_app_password(text: str, found: bool) -> None:
    assert holds_app_password(text) is found


async def test_a_throttled_sender_s_password_is_still_deleted(services: Services) -> None:
    platform = RecordingPlatform(name="telegram")
    dispatcher = Dispatcher(services, build_registry(), Throttle(limit=1, window_s=60))
    chat = Chat(dispatcher, platform)
    await chat.say("/help")
    await chat.say(f"here {PASSWORD}")  # refused by the throttle, but deleted all the same
    await chat.say(f"again {PASSWORD}")
    assert [message_id for _, message_id in platform.deleted] == ["2", "3"]
    assert all(PASSWORD not in text for text in platform.texts())


async def test_a_group_password_warning_goes_to_the_known_private_chat(
    dispatcher: Dispatcher, platform: RecordingPlatform
) -> None:
    private = Chat(dispatcher, platform, user="zoe")
    await private.say("/start")  # the bot knows zoe's private chat now
    group = Chat(dispatcher, platform, user="zoe", chat="club", private=False)
    assert await group.say(f"oops {PASSWORD}", addressed=False) == []  # nothing in the group
    assert platform.deleted == [(group.chat, "1")]
    told = texts(private.new_replies())
    assert told == EN("secrets.group.deleted", link=REVOKE_URL, connect="/connect bluesky")
    # the group form of /connect bluesky, addressed: the same, never its other arguments
    assert await group.say("/connect bluesky zoe.bsky.social hunter2") == []
    assert platform.deleted[-1] == (group.chat, "2")
    # /connect with the network only holds no secret: the usual move to a private chat
    assert "private chat" in texts(await group.say("/connect bluesky"))


async def test_a_mastodon_prompt_deletes_what_is_not_an_instance_or_a_code(
    dispatcher: Dispatcher, platform: RecordingPlatform
) -> None:
    chat = Chat(dispatcher, platform)
    await chat.say("/connect mastodon")
    answer = texts(await chat.say("Hunter2 My Real Password!"))
    assert answer == EN("secrets.input.deleted") + "\n" + EN("connect.error.bad_instance")
    assert platform.deleted == [(chat.chat, "2")]
    assert all("Hunter2" not in r.text for _, r in platform.sent if isinstance(r, Text))
