"""What a user's next message is expected to be: one step per user, for a limited time.

Multi-step commands (`/connect`: the handle, then the app password; `/import_directory`
and `/group roster`: then the CSV file; `/import posts`: then the archive) say what they
wait for here. Step data is plain JSON (strings, numbers, lists, dicts): never a
password. A single process keeps the steps in memory: after a restart the user simply
runs the command again. In scale-out mode (several front ends and workers) the steps live
in Redis, encrypted, with the same time limit, so the next message may reach any process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import orjson

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from chatbot.secrets import SecretBox

Key = tuple[str, str]  # (platform, user id)


@dataclass(frozen=True)
class Pending:
    step: str
    deadline: float
    data: dict[str, Any] = field(default_factory=dict)


class PendingStore(Protocol):
    async def put(self, key: Key, pending: Pending, ttl_s: float) -> None: ...

    async def get(self, key: Key) -> Pending | None: ...

    async def pop(self, key: Key) -> None: ...


class MemoryStore:
    def __init__(self) -> None:
        self._steps: dict[Key, Pending] = {}

    async def put(self, key: Key, pending: Pending, ttl_s: float) -> None:
        self._steps[key] = pending

    async def get(self, key: Key) -> Pending | None:
        return self._steps.get(key)

    async def pop(self, key: Key) -> None:
        self._steps.pop(key, None)


class RedisStore:
    """Steps shared by every process; encrypted, expired by Redis itself."""

    def __init__(self, redis: Redis, box: SecretBox) -> None:
        self.redis = redis
        self.box = box

    @staticmethod
    def _name(key: Key) -> str:
        return f"chatbot:pending:{key[0]}:{key[1]}"

    async def put(self, key: Key, pending: Pending, ttl_s: float) -> None:
        body = orjson.dumps({"step": pending.step, "data": pending.data})
        await self.redis.set(self._name(key), self.box.encrypt(body), px=int(ttl_s * 1000))

    async def get(self, key: Key) -> Pending | None:
        token = await self.redis.get(self._name(key))
        if token is None:
            return None
        body = orjson.loads(self.box.decrypt(token))
        return Pending(body["step"], float("inf"), dict(body["data"]))  # Redis expires it

    async def pop(self, key: Key) -> None:
        await self.redis.delete(self._name(key))


class PendingSteps:
    def __init__(
        self,
        ttl_s: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        store: PendingStore | None = None,
    ) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._store: PendingStore = store or MemoryStore()

    async def expect(self, key: Key, step: str, **data: Any) -> None:
        """The user's next message is `step` (replacing whatever was expected before)."""
        orjson.dumps(data)  # plain JSON only: fails early, in every mode
        await self._store.put(key, Pending(step, self._clock() + self.ttl_s, data), self.ttl_s)

    async def current(self, key: Key) -> Pending | None:
        """What is expected, if the time is not up (expired steps are dropped)."""
        pending = await self._store.get(key)
        if pending is not None and self._clock() > pending.deadline:
            await self._store.pop(key)
            return None
        return pending

    async def take(self, key: Key, step: str) -> Pending | None:
        """`step` if it is what is expected, consuming it; None otherwise."""
        pending = await self.current(key)
        if pending is None or pending.step != step:
            return None
        await self._store.pop(key)
        return pending

    async def done(self, key: Key) -> None:
        await self._store.pop(key)
