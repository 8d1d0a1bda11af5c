"""Threat model §4.7: no command answers with more than a few messages, whatever the archive.

The forged archive has a 1,200,000-character display name and a 100,000-character bio and
location (2.3 MB zipped; with a 300,000-character username too, before the bounds, its
upload made 295 messages: bench/README.md, Abuse; such a username now makes account.js
"damaged", in one short reply). Every command a user can then run is counted
through the real dispatcher: messages, and characters of text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chatbot.conversation import Dispatcher
from chatbot.platforms.base import (
    MAX_PARTS,
    Document,
    Image,
    RecordingPlatform,
    Reply,
    Text,
    split_reply,
)
from chatbot.services import Services
from handlers import build_registry
from tests.abuse.hostile import long_name_archive
from tests.conversation.harness import Chat

MESSAGES_PER_COMMAND = 9  # /match: counts, the chart, a header, 5 to review, "more"
CHARS_PER_COMMAND = 12_000


def _size(replies: list[Reply]) -> tuple[int, int]:
    chars = sum(len(r.text) if isinstance(r, Text) else len(r.caption or "") for r in replies)
    return len(replies), chars


@pytest.fixture(scope="module")
def forged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return long_name_archive(tmp_path_factory.mktemp("forged") / "twitter-forged.zip")


async def test_each_command_stays_within_a_few_messages(
    services: Services, platform: RecordingPlatform, forged: Path
) -> None:
    chat = Chat(Dispatcher(services, build_registry()), platform, user="mallory")
    seen: dict[str, tuple[int, int]] = {}
    seen["upload"] = _size(await chat.upload(forged))
    for command in ("/summary", "/match", "/profile", "/export all", "/help"):
        seen[command] = _size(await chat.say(command))
    print("\nABUSE output per command (messages, characters):", seen)
    shown = "\n".join(r.text for _, r in platform.sent if isinstance(r, Text))
    assert "Archive of" in shown  # the upload was read and summarised
    assert any(isinstance(r, Image) for _, r in platform.sent)  # with its chart
    assert any(isinstance(r, Document) for _, r in platform.sent)  # /export sent files
    for command, (messages, chars) in seen.items():
        assert messages <= MESSAGES_PER_COMMAND, (command, messages)
        assert chars <= CHARS_PER_COMMAND, (command, chars)
    assert "\u202e" not in shown and "a" * 100 not in shown


async def test_a_username_no_x_account_can_have_is_refused_in_one_short_reply(
    services: Services, platform: RecordingPlatform, tmp_path: Path
) -> None:
    chat = Chat(Dispatcher(services, build_registry()), platform, user="mallory")
    forged = long_name_archive(tmp_path / "twitter-forged.zip", username_chars=300_000)
    messages, chars = _size(await chat.upload(forged))
    assert messages <= 3 and chars <= 1_000, (messages, chars)
    sent = [r.text for _, r in platform.sent if isinstance(r, Text)]
    shown = "\n".join([*sent, *(text.text for _, text in platform.edits)])  # edits too
    assert "account.js" in shown and "a" * 16 not in shown


def test_one_reply_is_never_split_into_more_than_a_few_messages() -> None:
    huge = Text("x" * 1_200_000 + "\n" + "y\n" * 50_000)
    parts = split_reply(huge, 4096)
    assert len(parts) == MAX_PARTS
    assert all(isinstance(p, Text) and len(p.text) <= 4096 for p in parts)
    assert isinstance(parts[-1], Text) and parts[-1].text.endswith("…")
