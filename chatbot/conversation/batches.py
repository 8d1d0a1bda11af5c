"""Files that arrive together are one upload: a short debounce per user.

A user often sends several files at once (a Telegram album, several files in one Matrix
or console message) or one after another within seconds. Each file is read as it comes
and gets a short acknowledgement; the summary and the matching wait until no file of the
user is being read and none arrived for `Settings.upload_batch_s` seconds.

The state of a batch is a few numbers per user: how many files are still being read
(`open`), a generation bumped by every arrival (a settle that finds it changed leaves the
work to the later file), whether anything was stored and whether posts were read, and a
digest of a summary already shown. One process keeps it in memory; in scale-out mode,
where files of one user may reach different workers, it lives in Redis (expiring), and
the read-merge-save of the stored archive is serialised per user by a Redis lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

BATCH_TTL_S = 3600  # a batch whose reader died is forgotten this late
LOCK_S = 600  # longest hold of a user's archive lock (a merge and a save)


@dataclass(frozen=True)
class Settled:
    """A batch that is over: what its files left, and the digest of a summary shown."""

    changed: bool
    posts: bool
    shown: str


class UploadBatches(Protocol):
    async def arrived(self, user_id: int) -> None:
        """A file of the user arrived (before it is downloaded)."""

    async def done(self, user_id: int, *, changed: bool, posts: bool) -> int:
        """A file is read (or failed): the batch's generation now."""

    async def alone(self, user_id: int) -> bool:
        """Whether no other file of the user is being read."""

    async def shown(self, user_id: int, digest: str) -> None:
        """The summary with this digest was shown during the batch."""

    async def settle(self, user_id: int, generation: int) -> Settled | None:
        """End the batch if no file is open and none arrived since `generation`."""

    def lock(self, user_id: int) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold the user's stored archive while it is loaded, merged and saved."""


@dataclass
class _State:
    open: int = 0
    generation: int = 0
    changed: bool = False
    posts: bool = False
    shown: str = ""


class MemoryBatches:
    """One process: the dispatcher already keeps a user's messages in order."""

    def __init__(self) -> None:
        self._states: dict[int, _State] = {}
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    async def arrived(self, user_id: int) -> None:
        state = self._states.setdefault(user_id, _State())
        state.open += 1
        state.generation += 1

    async def done(self, user_id: int, *, changed: bool, posts: bool) -> int:
        state = self._states.setdefault(user_id, _State())
        state.open = max(0, state.open - 1)
        state.changed |= changed
        state.posts |= posts
        return state.generation

    async def alone(self, user_id: int) -> bool:
        state = self._states.get(user_id)
        return state is None or state.open <= 1

    async def shown(self, user_id: int, digest: str) -> None:
        self._states.setdefault(user_id, _State()).shown = digest

    async def settle(self, user_id: int, generation: int) -> Settled | None:
        state = self._states.get(user_id)
        if state is None or state.open or state.generation != generation:
            return None
        del self._states[user_id]
        return Settled(state.changed, state.posts, state.shown)

    @contextlib.asynccontextmanager
    async def lock(self, user_id: int) -> AsyncIterator[None]:
        lock = self._locks.get(user_id)
        if lock is None:
            lock = self._locks[user_id] = asyncio.Lock()
        async with lock:
            yield


# Settle atomically: the batch ends only if it is still the one the caller saw.
_SETTLE = """
local open = tonumber(redis.call('HGET', KEYS[1], 'open') or '0')
local gen = redis.call('HGET', KEYS[1], 'generation') or '0'
if open > 0 or gen ~= ARGV[1] then return false end
local values = redis.call('HMGET', KEYS[1], 'changed', 'posts', 'shown')
redis.call('DEL', KEYS[1])
return {values[1] or '0', values[2] or '0', values[3] or ''}
"""


class RedisBatches:
    """Scale-out mode: the batch state shared by every worker, expiring on its own."""

    def __init__(self, redis: Redis) -> None:
        self.redis: Any = redis  # redis-py types hash commands as sync-or-async
        self._settle = redis.register_script(_SETTLE)

    @staticmethod
    def _key(user_id: int) -> str:
        return f"chatbot:upload:batch:{user_id}"

    async def arrived(self, user_id: int) -> None:
        key = self._key(user_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(key, "open", 1).hincrby(key, "generation", 1).expire(key, BATCH_TTL_S)
            await pipe.execute()

    async def done(self, user_id: int, *, changed: bool, posts: bool) -> int:
        key = self._key(user_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(key, "open", -1)
            if changed:
                pipe.hset(key, "changed", "1")
            if posts:
                pipe.hset(key, "posts", "1")
            pipe.hget(key, "generation").expire(key, BATCH_TTL_S)
            results = await pipe.execute()
        return int(results[-2] or 0)

    async def alone(self, user_id: int) -> bool:
        return int(await self.redis.hget(self._key(user_id), "open") or 0) <= 1

    async def shown(self, user_id: int, digest: str) -> None:
        await self.redis.hset(self._key(user_id), "shown", digest)

    async def settle(self, user_id: int, generation: int) -> Settled | None:
        found = await self._settle(keys=[self._key(user_id)], args=[str(generation)])
        if not found:
            return None
        changed, posts, shown = (_text(value) for value in found)
        return Settled(changed == "1", posts == "1", shown)

    @contextlib.asynccontextmanager
    async def lock(self, user_id: int) -> AsyncIterator[None]:
        lock = self.redis.lock(f"chatbot:archive:lock:{user_id}", timeout=LOCK_S,
                               blocking_timeout=LOCK_S)  # fmt: skip
        async with lock:
            yield


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
