"""The bot's tasks on the saq queue (Redis): what front ends enqueue, with its guarantees.

- ``drain_user(user_id)``: run that user's follow and import jobs. Its key is per user,
  so saq runs at most one at a time for a user: a user's budgets are never spent by two
  workers at once. It sends heartbeats; when its worker dies, saq's sweep sees the
  heartbeat stop and retries it on another worker, which resumes from the database
  checkpoint (jobs never keep progress in memory).
- ``nudge(user_id)``: enqueue ``drain_user`` again, later. Used when a drain was already
  running at submission time (it may have just checked for work), and to wake a job
  that waits for its rate-limit window (hours) without holding a worker meanwhile.
- ``handle_message(message)``: a message whose handling is heavy (an archive to read),
  handed over by a front end; its replies go back through the outbox.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from saq import Queue

from chatbot.platforms.base import IncomingMessage
from chatbot.queue.wire import message_to

QUEUE_NAME = "chatbot"
HEARTBEAT_S = 30  # default: a drain without a heartbeat for this long is taken for dead
RETRIES = 1_000  # a drain is retried after each worker death, never given up
NUDGE_S = 5.0
MESSAGE_TTL_S = 10  # a handled message's record (the user's message) is dropped this soon


def message_key(platform: str, user_id: str) -> str:
    """A handed-over message's saq key: per user, so `/forget` finds that user's."""
    return f"msg:{platform}:{user_id}:{secrets.token_hex(8)}"


def make_queue(redis_url: str) -> Queue:
    return Queue.from_url(redis_url, name=QUEUE_NAME)


class TaskQueue:
    def __init__(self, queue: Queue, *, heartbeat_s: int = HEARTBEAT_S) -> None:
        self.queue = queue
        self.heartbeat_s = heartbeat_s  # CHATBOT_QUEUE_HEARTBEAT_S

    @classmethod
    def from_url(cls, redis_url: str, *, heartbeat_s: int = HEARTBEAT_S) -> TaskQueue:
        return cls(make_queue(redis_url), heartbeat_s=heartbeat_s)

    async def connect(self) -> None:
        await self.queue.connect()

    async def close(self) -> None:
        await self.queue.disconnect()

    async def drain_user(self, user_id: int) -> bool:
        """Make sure a worker runs the user's jobs; False when one already was."""
        job = await self.queue.enqueue(
            "drain_user", key=f"drain:{user_id}", timeout=0, heartbeat=self.heartbeat_s,
            retries=RETRIES, retry_delay=1.0, ttl=60, user_id=user_id,
        )  # fmt: skip
        if job is None:  # a drain is queued or running: check again when it is over
            await self.nudge(user_id, time.time() + NUDGE_S)
        return job is not None

    async def nudge(self, user_id: int, at: float) -> None:
        """Enqueue the user's drain at `at` (epoch seconds)."""
        await self.queue.enqueue(
            "nudge", key=f"nudge:{user_id}:{int(at)}", scheduled=int(at), timeout=30,
            retries=3, ttl=60, user_id=user_id,
        )  # fmt: skip

    async def handle_message(self, platform: str, message: IncomingMessage) -> None:
        payload: dict[str, Any] = {"platform": platform, "message": message_to(message)}
        await self.queue.enqueue(
            "handle_message", key=message_key(platform, message.user.user_id),
            timeout=0, heartbeat=self.heartbeat_s, retries=2, ttl=MESSAGE_TTL_S,
            payload=payload,
        )  # fmt: skip

    async def counts(self) -> dict[str, int]:
        """Queued and active tasks (for the metrics)."""
        return {kind: await self.queue.count(kind) for kind in ("queued", "active", "incomplete")}
