"""`TelegramAdapter` against the in-process emulator: conversion, addressing, files, errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from chatbot.config import Settings
from chatbot.conversation.registry import CommandRegistry
from chatbot.platforms.base import (
    Attachment,
    Button,
    ChatRef,
    DownloadFailed,
    IncomingMessage,
    Platform,
    RateLimited,
    SentMessage,
    Text,
    TooBigToDownload,
    UserRef,
)
from chatbot.platforms.telegram import TelegramAdapter
from tests.e2e.telegram.emulator_fixtures import BOT, TOKEN, Running, emulator, eventually


class Recorder:
    """Stands in for the dispatcher: records what the adapter hands over."""

    def __init__(self) -> None:
        self.registry = CommandRegistry()
        self.messages: list[IncomingMessage] = []

    async def handle(self, platform: Platform, message: IncomingMessage) -> None:
        self.messages.append(message)
        if message.text == "crash":
            raise RuntimeError("a handler bug")


async def _running(settings: Settings, emu: Running, local: bool) -> TelegramAdapter:
    configured = settings.model_copy(
        update={
            "telegram_token": TOKEN,
            "telegram_api_url": emu.root,
            "telegram_local_mode": local,
        }
    )
    adapter = TelegramAdapter(configured, Recorder())  # type: ignore[arg-type]
    await adapter.start()
    return adapter


@pytest.fixture
async def emu(tmp_path: Path) -> AsyncIterator[Running]:
    async with emulator(tmp_path / "emulator") as running:
        yield running


@pytest.fixture
async def adapter(settings: Settings, emu: Running) -> AsyncIterator[TelegramAdapter]:
    adapter = await _running(settings, emu, local=False)
    yield adapter
    await adapter.stop()


def recorded(adapter: TelegramAdapter) -> list[IncomingMessage]:
    recorder: Any = adapter._dispatcher
    return list(recorder.messages)


async def test_commands_texts_and_addressing(emu: Running, adapter: TelegramAdapter) -> None:
    group = {"id": -5, "title": "Club", "privacy": False}
    await emu.say(21, f"/Lang@{BOT} fr  now")
    await emu.say(21, "/start@other_bot")
    await emu.say(21, "crash")  # a failing handler does not stop polling
    await emu.say(21, "just talking", group)
    await emu.say(21, "/help", group)
    await emu.say(21, f"hey @{BOT}", group)
    await emu.say(21, "/help@other_bot", group)
    await eventually(lambda: len(recorded(adapter)) >= 5)
    await emu.say(21, "last one")
    await eventually(lambda: len(recorded(adapter)) >= 6)
    by_text = {m.text: m for m in recorded(adapter)}
    assert set(by_text) == {
        f"/Lang@{BOT} fr  now",
        "crash",
        "just talking",
        "/help",
        f"hey @{BOT}",
        "last one",
    }
    lang = by_text[f"/Lang@{BOT} fr  now"]
    assert (lang.command, lang.args, lang.addressed) == ("lang", ("fr", "now"), True)
    assert lang.chat == ChatRef("telegram", "21", True, None)
    assert lang.user == UserRef("telegram", "21", "Ann", "fr")
    assert not by_text["just talking"].addressed and by_text["just talking"].command is None
    assert not by_text["just talking"].chat.is_private
    assert by_text["/help"].addressed and by_text["/help"].command == "help"
    assert by_text[f"hey @{BOT}"].addressed


async def test_replies_buttons_documents_and_callbacks(
    emu: Running, adapter: TelegramAdapter, tmp_path: Path
) -> None:
    upload = await emu.upload(22, "following.js", b"window.YTD.following.part0 = []")
    await eventually(lambda: len(recorded(adapter)) == 1)
    attachment = recorded(adapter)[0].attachment
    assert attachment is not None
    assert (attachment.name, attachment.size) == ("following.js", 31)
    assert attachment.file_id == upload["message"]["document"]["file_id"]
    chat = recorded(adapter)[0].chat
    got = await adapter.download(attachment, tmp_path / "following.js")
    assert got.read_bytes() == b"window.YTD.following.part0 = []"

    sent = await adapter.send(chat, Text("Choose", buttons=((Button("FR", "lang:fr"),),)))
    await adapter.edit(sent, Text("Choose", buttons=((Button("FR", "lang:fr"),),)))  # unchanged
    press = await emu.control.post(
        "/_test/callback",
        json={"user": {"id": 22}, "message_id": int(sent.message_id), "data": "lang:fr"},
    )
    query_id = press.json()["callback_query_id"]
    await eventually(lambda: len(recorded(adapter)) == 2)
    pressed = recorded(adapter)[1]
    assert (pressed.callback, pressed.addressed, pressed.message_id) == (
        "lang:fr",
        True,
        sent.message_id,
    )
    await eventually(lambda: emu.world.callbacks[query_id]["answered"])
    await adapter.edit(sent, Text("Done"))
    assert await adapter.delete(chat, sent.message_id)
    assert not await adapter.delete(chat, "9999")
    message = emu.world.chats[22].messages[int(sent.message_id)]
    assert message["text"] == "Done" and "reply_markup" not in message


async def test_download_limits_and_failures(
    emu: Running, adapter: TelegramAdapter, tmp_path: Path
) -> None:
    with pytest.raises(TooBigToDownload) as declared:
        await adapter.download(Attachment("whatever", "x.zip", 30_000_000), tmp_path / "x")
    assert declared.value.limit == 20_000_000
    big = await emu.upload(23, "twitter.zip", b"\0" * 20_000_001)
    file_id = big["message"]["document"]["file_id"]
    with pytest.raises(TooBigToDownload):  # size unknown to the bot: Telegram refuses
        await adapter.download(Attachment(file_id, "twitter.zip"), tmp_path / "y")
    with pytest.raises(DownloadFailed):
        await adapter.download(Attachment("no-such-file", "a.zip", 10), tmp_path / "z")
    assert not (tmp_path / "y").exists() and not (tmp_path / "z").exists()


async def test_local_mode_copies_big_files(settings: Settings, tmp_path: Path) -> None:
    async with emulator(tmp_path / "emulator", local=True) as emu:
        adapter = await _running(settings, emu, local=True)
        try:
            assert adapter.limits.max_download_bytes is None
            big = await emu.upload(24, "twitter.zip", b"\2" * 20_000_001)
            file_id = big["message"]["document"]["file_id"]
            got = await adapter.download(Attachment(file_id, "twitter.zip"), tmp_path / "t.zip")
            assert got.stat().st_size == 20_000_001
        finally:
            await adapter.stop()


async def test_flood_control(emu: Running, adapter: TelegramAdapter) -> None:
    await emu.say(25, "hi")
    chat = ChatRef("telegram", "25", True)
    rule = {"chat_id": 25, "edit_min_interval_s": 60, "retry_after": 1, "fail_sends": 1}
    await emu.control.post("/_test/flood", json=rule)
    started = asyncio.get_running_loop().time()
    sent = await adapter.send(chat, Text("progress 1"))  # refused once, then retried
    assert asyncio.get_running_loop().time() - started >= 1.0
    with pytest.raises(RateLimited) as limited:
        await adapter.edit(sent, Text("progress 2"))
    assert limited.value.retry_after == 1
    assert isinstance(sent, SentMessage)


async def test_deep_link_and_no_private_chat(adapter: TelegramAdapter) -> None:
    user = UserRef("telegram", "1")
    assert adapter.private_chat_link(user, "start") == f"https://t.me/{BOT}?start=start"
    assert adapter.private_chat_link(user, "a b/c") == f"https://t.me/{BOT}?start=abc"
    assert adapter.private_chat_link(user) == f"https://t.me/{BOT}"
    assert await adapter.open_private_chat(user) is None
    assert isinstance(adapter.platform, Platform)
