"""Files that arrive together are one upload: a short debounce per user.

A user often sends several files at once (a Telegram album, several files in one Matrix
or console message) or one after another within seconds. Each file is read as it comes
and gets a short acknowledgement; the summary and the matching wait until no file of the
user is being read and none arrived for `Settings.upload_batch_s` seconds (a whole
archive, which replaces what was stored, is answered without that wait).

The state of a batch is a few numbers per user: how many files reached the dispatcher and
are not handled yet (`open`: waiting behind the user's earlier messages, or being read), a
generation bumped by every arrival (a settle that finds it changed leaves the
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


def batch_key(platform: str, user_id: str) -> str:
    """A user's batch: by platform user, known before the user is looked up."""
    return f"{platform}:{user_id}"


class UploadBatches(Protocol):
    """`key` is `batch_key(...)`. The dispatcher calls `arrived` when a file reaches it
    (before it waits behind the user's earlier messages) and `done` when it was handled;
    the archive handler `note`s what a file changed."""

    async def arrived(self, key: str) -> None:
        """A file of the user arrived."""

    async def note(self, key: str, *, changed: bool, posts: bool, whole: bool = False) -> None:
        """A file stored something (`changed`), posts among it (`posts`); `whole`: it was
        a whole archive (which replaces what was stored: no need to wait for more)."""

    async def whole(self, key: str) -> bool:
        """Whether the last file stored was a whole archive."""

    async def done(self, key: str) -> int:
        """A file was handled (or failed): the batch's generation now."""

    async def alone(self, key: str) -> bool:
        """Whether no other file of the user is waiting or being read."""

    async def shown(self, key: str, digest: str) -> None:
        """The summary with this digest was shown during the batch."""

    async def settle(self, key: str, generation: int) -> Settled | None:
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
    whole: bool = False


class MemoryBatches:
    """One process."""

    def __init__(self) -> None:
        self._states: dict[str, _State] = {}
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    async def arrived(self, key: str) -> None:
        state = self._states.setdefault(key, _State())
        state.open += 1
        state.generation += 1

    async def note(self, key: str, *, changed: bool, posts: bool, whole: bool = False) -> None:
        state = self._states.setdefault(key, _State())
        state.changed |= changed
        state.posts |= posts
        state.whole = whole

    async def whole(self, key: str) -> bool:
        state = self._states.get(key)
        return state is not None and state.whole

    async def done(self, key: str) -> int:
        state = self._states.setdefault(key, _State())
        state.open = max(0, state.open - 1)
        return state.generation

    async def alone(self, key: str) -> bool:
        state = self._states.get(key)
        return state is None or state.open <= 1

    async def shown(self, key: str, digest: str) -> None:
        self._states.setdefault(key, _State()).shown = digest

    async def settle(self, key: str, generation: int) -> Settled | None:
        state = self._states.get(key)
        if state is None or state.open or state.generation != generation:
            return None
        del self._states[key]
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
    def _key(key: str) -> str:
        return f"chatbot:upload:batch:{key}"

    async def arrived(self, key: str) -> None:
        name = self._key(key)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(name, "open", 1).hincrby(name, "generation", 1)
            await pipe.expire(name, BATCH_TTL_S).execute()

    async def note(self, key: str, *, changed: bool, posts: bool, whole: bool = False) -> None:
        values = {name: "1" for name, on in (("changed", changed), ("posts", posts)) if on}
        await self.redis.hset(self._key(key), mapping={**values, "whole": "1" if whole else "0"})

    async def whole(self, key: str) -> bool:
        return await self.redis.hget(self._key(key), "whole") in (b"1", "1")

    async def done(self, key: str) -> int:
        name = self._key(key)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(name, "open", -1).hget(name, "generation")
            results = await pipe.expire(name, BATCH_TTL_S).execute()
        return int(results[1] or 0)

    async def alone(self, key: str) -> bool:
        return int(await self.redis.hget(self._key(key), "open") or 0) <= 1

    async def shown(self, key: str, digest: str) -> None:
        await self.redis.hset(self._key(key), "shown", digest)

    async def settle(self, key: str, generation: int) -> Settled | None:
        found = await self._settle(keys=[self._key(key)], args=[str(generation)])
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
