"""Replies from workers: written to a Redis stream, delivered by the front ends.

A worker has no chat connection. Its handlers and jobs talk to an `OutboxPlatform`,
which appends each send, edit or delete to the stream of that platform
(``chatbot:outbox:<platform>``). One front end at a time holds the delivery lease of a
stream (`OutboxRelay`) and delivers it in order; if it dies, another takes the lease
over and delivers what it had left unacknowledged. A delivered entry is deleted from the
stream at once (it holds reply content: summaries, charts, match counts), so the stream
only ever holds what is still to deliver. A message sent from a worker gets a
placeholder id at once; the front end that delivers it records the real id (under a key
naming the chat, so `/forget` finds it), and later edits wait for that record.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from chatbot.archive.spool import UploadLost
from chatbot.platforms.base import (
    Attachment,
    ChatRef,
    DownloadFailed,
    Platform,
    PlatformLimits,
    Reply,
    SentMessage,
    Text,
    UserRef,
)
from chatbot.queue.wire import chat_from, chat_to, reply_from, reply_to, sent_from, sent_to

log = logging.getLogger(__name__)

GROUP = "frontends"
IDS = "chatbot:outbox:id:"  # + platform:chat:placeholder -> the real message id
PLACEHOLDER = "ob-"
KEEP_IDS_S = 7 * 86400
MAX_LEN = 100_000
LEASE_S = 10.0


def stream(platform: str) -> str:
    return f"chatbot:outbox:{platform}"


def ids_key(platform: str, chat_id: str, placeholder: str) -> str:
    return f"{IDS}{platform}:{chat_id}:{placeholder}"


def worker_limits(platform: str) -> PlatformLimits:
    """What a worker assumes of a platform it cannot see (the adapters' own values)."""
    if platform == "telegram":
        return PlatformLimits(max_download_bytes=None, max_upload_bytes=50 * 1024 * 1024)
    return PlatformLimits(
        max_download_bytes=None,
        max_upload_bytes=None,
        max_text_chars=30_000,
        min_edit_interval_s=2.0,
        buttons=False,
    )


class OutboxPlatform:
    """The `Platform` a worker replies through: every call becomes a stream entry."""

    def __init__(self, name: str, redis: Redis) -> None:
        self.name = name
        self.limits = worker_limits(name)
        self.redis = redis

    async def _add(self, op: dict[str, Any]) -> None:
        await self.redis.xadd(stream(self.name), {"op": orjson.dumps(op)},
                              maxlen=MAX_LEN, approximate=True)  # fmt: skip

    async def send(self, chat: ChatRef, reply: Reply) -> SentMessage:
        ref = PLACEHOLDER + secrets.token_hex(8)
        op = {"op": "send", "chat": chat_to(chat), "reply": reply_to(reply), "ref": ref}
        await self._add(op)
        return SentMessage(chat, ref)

    async def edit(self, sent: SentMessage, reply: Text) -> None:
        await self._add({"op": "edit", "sent": sent_to(sent), "reply": reply_to(reply)})

    async def delete(self, chat: ChatRef, message_id: str) -> bool:
        await self._add({"op": "delete", "chat": chat_to(chat), "message_id": message_id})
        return True

    async def download(self, attachment: Attachment, dest: Path) -> Path:
        """The front end already downloaded it into the shared uploads folder; `UploadLost`
        when it is not there any more (a worker that took it died, or the sweep)."""
        source = Path(attachment.file_id)
        try:
            await asyncio.to_thread(shutil.move, source, dest)
        except FileNotFoundError:
            raise UploadLost(attachment.name) from None
        except OSError:
            raise DownloadFailed(attachment.name) from None
        await asyncio.to_thread(shutil.rmtree, source.parent, True)  # the hand-over folder
        return dest

    def private_chat_link(self, user: UserRef, payload: str = "") -> str | None:
        return None

    async def open_private_chat(self, user: UserRef) -> ChatRef | None:
        return None

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        return False  # group commands are handled by the front ends

    async def is_chat_member(self, chat: ChatRef, user: UserRef) -> bool:
        return False


class OutboxRelay:
    """A front end's delivery loop for the replies workers wrote.

    One front end at a time delivers a platform's stream (a lease in Redis, renewed while
    it runs; another front end takes over within `LEASE_S` when it dies), so replies to a
    chat keep their order; chats are delivered concurrently, each chat in order.
    """

    def __init__(self, redis: Redis, platforms: Mapping[str, Platform]) -> None:
        self.redis = redis
        self.platforms = dict(platforms)
        self.consumer = "fe-" + secrets.token_hex(4)
        self.delivered = 0

    async def run_forever(self) -> None:
        await asyncio.gather(*(self._serve(name) for name in self.platforms))

    async def _serve(self, name: str) -> None:
        key, lease = stream(name), f"chatbot:outbox:lease:{name}"
        while True:
            try:
                await self._ensure_group(key)
                if not await self._hold(lease):
                    await asyncio.sleep(LEASE_S / 4)
                    continue
                await self._claim(key, name)  # what an earlier leader left unacknowledged
                batch = await self.redis.xreadgroup(
                    GROUP, self.consumer, {key: ">"}, count=100, block=1000
                )
                for _, entries in batch or []:
                    await self._deliver_batch(key, name, entries)
            except asyncio.CancelledError:
                raise
            except RedisError as exc:  # Redis away: replies wait in the stream
                log.warning("outbox: Redis unavailable (%s), retrying", exc)
                await asyncio.sleep(1.0)

    async def _ensure_group(self, key: str) -> None:
        try:
            await self.redis.xgroup_create(key, GROUP, id="0", mkstream=True)
        except ResponseError as exc:  # BUSYGROUP: it exists
            if "BUSYGROUP" not in str(exc):
                raise

    async def _hold(self, lease: str) -> bool:
        """Take or renew the delivery lease of a stream."""
        ms = int(LEASE_S * 1000)
        if await self.redis.set(lease, self.consumer, nx=True, px=ms):
            return True
        owner = await self.redis.get(lease)
        if owner is not None and owner.decode() == self.consumer:
            await self.redis.pexpire(lease, ms)
            return True
        return False

    async def _claim(self, key: str, name: str) -> None:
        result = await self.redis.xautoclaim(key, GROUP, self.consumer, min_idle_time=0)
        entries = [(entry_id, fields) for entry_id, fields in result[1] if fields]
        if entries:
            await self._deliver_batch(key, name, entries)

    async def _deliver_batch(self, key: str, name: str, entries: list[Any]) -> None:
        """Each chat's replies in order; different chats at the same time."""
        by_chat: dict[str, list[dict[str, Any]]] = {}
        for _, fields in entries:
            op = orjson.loads(fields[b"op"])
            chat = op.get("chat") or op.get("sent", {}).get("chat") or {}
            by_chat.setdefault(str(chat.get("chat_id")), []).append(op)

        async def deliver(ops: list[dict[str, Any]]) -> None:
            for op in ops:
                await self._deliver(name, op)

        await asyncio.gather(*(deliver(ops) for ops in by_chat.values()))
        done = [entry_id for entry_id, _ in entries]
        await self.redis.xack(key, GROUP, *done)
        await self.redis.xdel(key, *done)  # delivered: no reply content stays in Redis

    async def _deliver(self, name: str, op: dict[str, Any]) -> None:
        platform = self.platforms[name]
        try:
            with tempfile.TemporaryDirectory(prefix="outbox-") as folder:
                if op["op"] == "send":
                    reply = reply_from(op["reply"], Path(folder))
                    chat = chat_from(op["chat"])
                    sent = await platform.send(chat, reply)
                    ref = ids_key(name, chat.chat_id, op["ref"])
                    await self.redis.set(ref, sent.message_id, ex=KEEP_IDS_S)
                elif op["op"] == "edit":
                    target = sent_from(op["sent"])
                    real = await self._real_id(name, target.chat.chat_id, target.message_id)
                    reply = reply_from(op["reply"], Path(folder))
                    if real is not None and isinstance(reply, Text):
                        await platform.edit(SentMessage(target.chat, real), reply)
                elif op["op"] == "delete":
                    chat_id = str(op["chat"]["chat_id"])
                    real = await self._real_id(name, chat_id, op["message_id"])
                    if real is not None:
                        await platform.delete(chat_from(op["chat"]), real)
            self.delivered += 1
        except Exception:  # one undeliverable reply (a blocked bot...) never stops the relay
            log.warning("outbox: could not deliver a %s on %s", op.get("op"), name, exc_info=True)

    async def _real_id(
        self, name: str, chat_id: str, message_id: str, wait_s: float = 10.0
    ) -> str | None:
        """The platform's id of a message a worker sent (waiting for its delivery)."""
        if not message_id.startswith(PLACEHOLDER):
            return message_id
        deadline = asyncio.get_running_loop().time() + wait_s
        while True:
            real = await self.redis.get(ids_key(name, chat_id, message_id))
            if real is not None:
                return real.decode() if isinstance(real, bytes) else str(real)
            if asyncio.get_running_loop().time() > deadline:
                return None
            await asyncio.sleep(0.1)
