"""`/forget` in scale-out mode: what Redis holds of a user goes too (threat model §4.9).

Redis holds, for a user: the replies still waiting in the outbox stream for their
chats, the ids of the messages delivered there, their handed-over messages in the queue
(the message, the file's name and place) and the file itself in the shared uploads
folder. Pending steps are removed by the caller (`PendingSteps.done`, every mode).
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Collection
from pathlib import Path
from typing import Any

import orjson
from redis.asyncio import Redis
from saq import Queue
from saq.job import Status

from chatbot.queue.client import TaskQueue
from chatbot.queue.outbox import IDS, stream

log = logging.getLogger(__name__)

PAGE = 500
_GLOB = re.compile(r"([*?\[\]\\])")


def _literal(text: str) -> str:
    """`text` as a literal inside a Redis SCAN pattern."""
    return _GLOB.sub(r"\\\1", text)


async def forget_user(
    tasks: TaskQueue, platform: str, user_id: str, chats: Collection[str], uploads: Path
) -> int:
    """Delete what Redis keeps for this user and these chats; how many entries went."""
    queue: Queue = tasks.queue
    redis: Redis = queue.redis  # type: ignore[attr-defined]
    removed = await _outbox_entries(redis, platform, set(chats))
    for chat in chats:
        async for key in redis.scan_iter(match=f"{IDS}{_literal(f'{platform}:{chat}:')}*"):
            removed += await redis.delete(key)
    prefix = f"saq:job:{queue.name}:"
    pattern = prefix + _literal(f"msg:{platform}:{user_id}:") + "*"
    async for job_id in redis.scan_iter(match=pattern):
        removed += await _drop_message(queue, redis, job_id, prefix, uploads)
    if removed:
        log.info("forget: %d Redis entries removed", removed)
    return removed


async def _outbox_entries(redis: Redis, platform: str, chats: set[str]) -> int:
    """Replies still waiting for one of `chats` (a front end may be delivering some: they
    go too, and their acknowledgement finds nothing)."""
    key, start, doomed = stream(platform), "-", []
    while True:
        page = await redis.xrange(key, min=start, max="+", count=PAGE)
        for entry_id, fields in page:
            op = orjson.loads(fields[b"op"])
            chat = op.get("chat") or op.get("sent", {}).get("chat") or {}
            if str(chat.get("chat_id")) in chats:
                doomed.append(entry_id)
        if len(page) < PAGE:
            break
        start = "(" + page[-1][0].decode()
    if doomed:
        await redis.xdel(key, *doomed)
    return len(doomed)


async def _drop_message(
    queue: Queue, redis: Redis, job_id: Any, prefix: str, uploads: Path
) -> int:
    """A handed-over message of the user: aborted when queued or running, its record and
    its file deleted."""
    name = job_id.decode() if isinstance(job_id, bytes) else str(job_id)
    job = await queue.job(name.removeprefix(prefix))
    if job is not None:
        if job.status in (Status.NEW, Status.QUEUED, Status.ACTIVE):
            await queue.abort(job, "forgotten", ttl=60)
        message = (job.kwargs or {}).get("payload", {}).get("message", {})
        file_id = (message.get("attachment") or {}).get("file_id")
        if file_id:
            folder = Path(file_id).parent
            if folder.parent == uploads:  # never outside the uploads folder
                shutil.rmtree(folder, ignore_errors=True)
    return int(await redis.delete(name))
