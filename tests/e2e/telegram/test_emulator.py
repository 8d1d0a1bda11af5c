"""The Bot API emulator, driven by python-telegram-bot's own `Bot`: Telegram's semantics."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, InvalidToken, RetryAfter

from tests.e2e.telegram.emulator_fixtures import BOT, TOKEN, Running, emulator

os.environ.setdefault("PTB_TIMEDELTA", "true")  # as the adapter does: retry_after is a timedelta

PNG = (
    b"\x89PNG\r\n\x1a\n"
    + b"\x00\x00\x00\rIHDR"
    + (640).to_bytes(4, "big")
    + (480).to_bytes(4, "big")
    + b"rest"
)


@pytest.fixture
async def emu(tmp_path: Path) -> AsyncIterator[Running]:
    async with emulator(tmp_path) as running:
        yield running


@pytest.fixture
async def bot(emu: Running) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.root + "/bot", base_file_url=emu.root + "/file/bot") as b:
        yield b


async def test_get_me_and_bad_tokens(emu: Running, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (777000, BOT, True)
    with pytest.raises(InvalidToken):
        async with Bot("1:x!", base_url=emu.root + "/bot") as broken:
            await broken.get_me()


async def test_long_polling_and_offsets(emu: Running, bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert time.monotonic() - started >= 0.9
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)
    await emu.say(5, "/start@unit_bot hello")
    updates = await asyncio.wait_for(poll, 5)
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None and message.from_user is not None
    assert message.text == "/start@unit_bot hello"
    assert message.from_user.language_code == "fr" and not message.from_user.is_bot
    assert message.chat.type == "private" and message.chat.id == 5
    assert message.entities[0].type == "bot_command"
    assert len(await bot.get_updates(timeout=0)) == 1  # not confirmed yet
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()


async def test_messages_edits_and_their_errors(emu: Running, bot: Bot) -> None:
    await emu.say(6, "hi")
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(6, "x" * 4097)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "nobody here")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(6, "choose", reply_markup=too_long)
    keys = InlineKeyboardMarkup([[InlineKeyboardButton("Français", callback_data="lang:fr")]])
    sent = await bot.send_message(6, "x" * 4096, reply_markup=keys)
    assert sent.message_id == 2 and sent.reply_markup == keys
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("x" * 4096, 6, sent.message_id, reply_markup=keys)
    edited = await bot.edit_message_text("done", 6, sent.message_id)
    assert not isinstance(edited, bool) and edited.text == "done" and edited.edit_date
    assert await bot.delete_message(6, sent.message_id)
    with pytest.raises(BadRequest, match="not found"):
        await bot.edit_message_text("again", 6, sent.message_id)
    messages = (await emu.control.get("/_test/chats/6")).json()["messages"]
    assert messages[1]["deleted"] and messages[1]["edits"] == ["x" * 4096]


async def test_callback_queries_are_answered_once(emu: Running, bot: Bot) -> None:
    await emu.say(7, "/lang")
    keys = InlineKeyboardMarkup([[InlineKeyboardButton("FR", callback_data="lang:fr")]])
    sent = await bot.send_message(7, "choose", reply_markup=keys)
    bad = await emu.control.post(
        "/_test/callback",
        json={"user": {"id": 7}, "message_id": sent.message_id, "data": "lang:xx"},
    )
    assert bad.status_code == 400
    press = await emu.control.post(
        "/_test/callback",
        json={"user": {"id": 7}, "message_id": sent.message_id, "data": "lang:fr"},
    )
    query_id = press.json()["callback_query_id"]
    updates = await bot.get_updates(offset=2, timeout=0)
    query = updates[-1].callback_query
    assert query is not None and query.data == "lang:fr" and query.id == query_id
    assert await query.answer()
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer()


async def test_files_round_trip_and_the_cloud_download_limit(
    emu: Running, bot: Bot, tmp_path: Path
) -> None:
    small = await emu.upload(8, "following.js", b"window.YTD.following.part0 = []")
    big = await emu.upload(8, "twitter.zip", b"\0" * 20_000_001)
    document = small["message"]["document"]
    file = await bot.get_file(document["file_id"])
    assert file.file_path is not None and file.file_path.startswith(emu.root + "/file/bot")
    assert bytes(await file.download_as_bytearray()) == b"window.YTD.following.part0 = []"
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(big["message"]["document"]["file_id"])
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("nope")

    photo = await bot.send_photo(8, PNG, caption="chart", filename="chart.png")
    assert (photo.photo[-1].width, photo.photo[-1].height) == (640, 480)
    out = tmp_path / "export.csv"
    out.write_text("a,b\n")
    doc = await bot.send_document(8, out.read_bytes(), filename="export.csv", caption="yours")
    assert doc.document is not None and doc.document.file_name == "export.csv"
    fetched = await emu.control.get(f"/_test/files/{photo.photo[-1].file_id}")
    assert fetched.content == PNG


async def test_local_mode_has_no_limit_and_gives_local_paths(tmp_path: Path) -> None:
    async with emulator(tmp_path, local=True) as emu:
        big = await emu.upload(9, "twitter.zip", b"\1" * 20_000_001)
        async with Bot(TOKEN, base_url=emu.root + "/bot", local_mode=True) as bot:
            file = await bot.get_file(big["message"]["document"]["file_id"])
        assert file.file_path is not None and Path(file.file_path).is_absolute()
        assert emu.world.files[file.file_id].path == Path(file.file_path)
        assert emu.world.files[file.file_id].size == 20_000_001


async def test_flood_control_answers_429_with_retry_after(emu: Running, bot: Bot) -> None:
    await emu.say(10, "hi")
    rule = {"chat_id": 10, "edit_min_interval_s": 60, "retry_after": 3, "fail_sends": 1}
    assert (await emu.control.post("/_test/flood", json=rule)).status_code == 200
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(10, "one")
    assert refused.value.retry_after == timedelta(seconds=3)
    sent = await bot.send_message(10, "two")
    with pytest.raises(RetryAfter):
        await bot.edit_message_text("three", 10, sent.message_id)


async def test_group_privacy_mode(emu: Running) -> None:
    group = {"id": -77, "title": "Club"}
    open_group = {"id": -78, "title": "Admins", "privacy": False}
    assert (await emu.say(11, "/help", group))["delivered"]
    assert (await emu.say(11, f"/help@{BOT}", group))["delivered"]
    assert not (await emu.say(11, "/help@other_bot", group))["delivered"]
    assert not (await emu.say(11, "hello all", group))["delivered"]
    assert (await emu.say(11, f"hey @{BOT} look", group))["delivered"]
    assert (await emu.say(11, "hello all", open_group))["delivered"]
    async with Bot(TOKEN, base_url=emu.root + "/bot") as bot:
        sent = await bot.send_message(-77, "I am here")
    assert (await emu.say(11, "thanks", group, reply_to=sent.message_id))["delivered"]
    assert (await emu.say(11, "hi", {"id": 12}))["ok"] is False  # another user's private chat
