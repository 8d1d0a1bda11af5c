"""The Matrix adapter's pure rules (no server): addressing, commands, attachments, 429s,
attachment decryption."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from nio.crypto.attachments import encrypt_attachment

from chatbot.platforms.base import Attachment
from chatbot.platforms.matrix_events import (
    BotNames,
    ParsedText,
    attachment_from_content,
    is_edit,
    is_private_room,
    looks_like_archive,
    parse_text,
    reply_target,
    split_mxc,
    strip_reply_fallback,
)
from chatbot.platforms.matrix_media import _Decryptor, png_size
from chatbot.platforms.matrix_send import retry_after_seconds

NAMES = BotNames("@migrationbot:example.org", "Migration Bot")
KNOWN = {"help", "lang", "summary"}


def parse(
    body: str, *, private: bool = False, reply_to_bot: bool = False, **extra: Any
) -> ParsedText:
    content = {"msgtype": "m.text", "body": body, **extra}
    return parse_text(
        content,
        names=NAMES,
        private=private,
        reply_to_bot=reply_to_bot,
        known_command=KNOWN.__contains__,
    )


@pytest.mark.parametrize(
    ("body", "command", "args"),
    [
        ("!help", "help", ()),
        ("/help", "help", ()),
        ("!lang fr", "lang", ("fr",)),
        ("  /LANG   en  ", "lang", ("en",)),
        ("migrationbot: !help", "help", ()),
        ("Migration Bot, /lang fr", "lang", ("fr",)),
        ("@migrationbot:example.org: !summary", "summary", ()),
        ("hello", None, ()),
        ("! not a command", None, ()),
    ],
)
def test_commands(body: str, command: str | None, args: tuple[str, ...]) -> None:
    parsed = parse(body, private=True)
    assert (parsed.command, parsed.args, parsed.addressed) == (command, args, True)


@pytest.mark.parametrize(
    ("body", "extra", "reply_to_bot", "addressed"),
    [
        ("!help", {}, False, True),  # a command the bot knows
        ("/lang fr", {}, False, True),
        ("!ban someone", {}, False, False),  # another bot's command
        ("good morning all", {}, False, False),  # chatter
        ("migrationbot: !ban", {}, False, True),  # named explicitly
        ("what does Migration Bot do?", {}, False, True),  # display name mention
        ("hey", {"m.mentions": {"user_ids": ["@migrationbot:example.org"]}}, False, True),
        (
            "hey bot",
            {"formatted_body": '<a href="https://matrix.to/#/@migrationbot:example.org">bot</a>'},
            False,
            True,
        ),  # a pill
        ("thanks", {}, True, True),  # a reply to the bot
        ("Migration Botanist", {}, False, False),  # not a word boundary
    ],
)
def test_group_addressing(
    body: str, extra: dict[str, Any], reply_to_bot: bool, addressed: bool
) -> None:
    assert parse(body, reply_to_bot=reply_to_bot, **extra).addressed is addressed


def test_reply_fallback_and_relations() -> None:
    body = "> <@alice:x> !help\n> more\n\n!lang fr"
    assert strip_reply_fallback(body) == "!lang fr"
    assert parse(body, private=True).command == "lang"
    content = {"m.relates_to": {"m.in_reply_to": {"event_id": "$abc"}}}
    assert reply_target(content) == "$abc"
    assert reply_target({}) is None
    assert is_edit({"m.relates_to": {"rel_type": "m.replace", "event_id": "$x"}})
    assert not is_edit(content)


def test_private_rule() -> None:
    assert is_private_room(2, direct_hint=False)
    assert is_private_room(1, direct_hint=False)
    assert not is_private_room(3, direct_hint=True)  # "direct" but a third person is there
    assert is_private_room(0, direct_hint=True)
    assert not is_private_room(0, direct_hint=False)


def test_attachments() -> None:
    plain = {
        "msgtype": "m.file",
        "body": "twitter.zip",
        "url": "mxc://hs/abc",
        "info": {"size": 12, "mimetype": "application/zip"},
    }
    assert attachment_from_content(plain) == Attachment(
        "mxc://hs/abc", "twitter.zip", 12, "application/zip"
    )
    encrypted = {
        "msgtype": "m.file",
        "body": "caption",
        "filename": "following.js",
        "file": {
            "url": "mxc://hs/enc",
            "key": {"k": "x"},
            "iv": "y",
            "hashes": {"sha256": "z"},
            "v": "v2",
        },
    }
    attachment = attachment_from_content(encrypted)
    assert attachment is not None
    assert attachment.name == "following.js"
    assert json.loads(attachment.file_id)["url"] == "mxc://hs/enc"
    assert attachment_from_content({"msgtype": "m.file", "body": "x"}) is None
    assert looks_like_archive(attachment)
    assert not looks_like_archive(Attachment("mxc://a/b", "holiday.jpg", 3, "image/jpeg"))
    assert split_mxc("mxc://hs/abc") == ("hs", "abc")
    with pytest.raises(ValueError, match="mxc"):
        split_mxc("https://hs/abc")


def test_retry_after() -> None:
    assert retry_after_seconds("7", {}) == 7.0
    assert retry_after_seconds(None, {"retry_after_ms": 1500}) == 1.5
    assert retry_after_seconds(None, {}) == 5.0
    assert retry_after_seconds("99999", {}) == 300.0


def test_streamed_decryption_matches_nio(tmp_path: Path) -> None:
    plaintext = bytes(range(256)) * 5000
    ciphertext, info = encrypt_attachment(plaintext)
    decryptor = _Decryptor(info)
    out = b"".join(
        decryptor.feed(ciphertext[i : i + 4096]) for i in range(0, len(ciphertext), 4096)
    )
    decryptor.verify()
    assert out == plaintext
    tampered = _Decryptor(info)
    tampered.feed(ciphertext[:-1] + bytes([ciphertext[-1] ^ 1]))
    with pytest.raises(Exception, match="checksum"):
        tampered.verify()


def test_png_size() -> None:
    header = (
        b"\x89PNG\r\n\x1a\n"
        + b"\x00\x00\x00\rIHDR"
        + (640).to_bytes(4, "big")
        + (480).to_bytes(4, "big")
    )
    assert png_size(header) == (640, 480)
    assert png_size(b"GIF89a") is None
