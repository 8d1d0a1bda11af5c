"""Replies written by a worker reach the user through a front end: sends, edits, files."""

from __future__ import annotations

import asyncio
from pathlib import Path

from redis.asyncio import Redis

from chatbot.platforms.base import (
    Button,
    ChatRef,
    Document,
    Image,
    RecordingPlatform,
    SentMessage,
    Text,
)
from chatbot.queue.outbox import OutboxPlatform, OutboxRelay


async def _until(condition: object, within_s: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within_s
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_sends_edits_deletes_and_files_arrive_in_order(
    redis_url: str, tmp_path: Path
) -> None:
    redis = Redis.from_url(redis_url)
    worker = OutboxPlatform("telegram", redis)
    front = RecordingPlatform(name="telegram")
    relays = [OutboxRelay(Redis.from_url(redis_url), {"telegram": front}) for _ in range(2)]
    tasks = [asyncio.create_task(relay.run_forever()) for relay in relays]
    chat = ChatRef("telegram", "42", is_private=True)
    try:
        sent = await worker.send(chat, Text("Reading your archive…", ((Button("ok", "x:1"),),)))
        assert sent.message_id.startswith("ob-")  # a placeholder, known at once
        await worker.edit(sent, Text("Archive read."))
        (tmp_path / "following_accounts.csv").write_text("Account address\na@b.c\n")
        doc = Document("following_accounts.csv", tmp_path / "following_accounts.csv")
        await worker.send(chat, doc)
        await worker.send(chat, Image("chart.png", b"\x89PNG..."))
        await worker.delete(chat, sent.message_id)
        await _until(lambda: len(front.sent) == 3 and front.deleted and front.edits)
        first, second, third = (reply for _, reply in front.sent)
        assert isinstance(first, Text) and first.buttons[0][0].data == "x:1"
        assert isinstance(second, Document) and second.name == "following_accounts.csv"
        assert isinstance(third, Image) and third.data == b"\x89PNG..."
        edited, reply = front.edits[0]
        assert edited == SentMessage(chat, "m1") and reply.text == "Archive read."  # real id
        assert front.deleted == [(chat, "m1")]
        assert sum(relay.delivered for relay in relays) == 5  # each once, by either
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await redis.aclose()


async def test_an_undeliverable_reply_does_not_stop_the_others(redis_url: str) -> None:
    class Blocked(RecordingPlatform):
        async def send(self, chat: ChatRef, reply: object) -> SentMessage:  # type: ignore[override]
            if chat.chat_id == "blocked":
                raise RuntimeError("Forbidden: bot was blocked by the user")
            return await super().send(chat, reply)  # type: ignore[arg-type]

    redis = Redis.from_url(redis_url)
    worker = OutboxPlatform("telegram", redis)
    front = Blocked(name="telegram")
    relay = OutboxRelay(Redis.from_url(redis_url), {"telegram": front})
    task = asyncio.create_task(relay.run_forever())
    try:
        await worker.send(ChatRef("telegram", "blocked", True), Text("lost"))
        await worker.send(ChatRef("telegram", "7", True), Text("delivered"))
        await _until(lambda: len(front.sent) == 1)
        assert front.texts() == ["delivered"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await redis.aclose()
