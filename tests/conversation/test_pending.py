"""One expected next step per user, forgotten when the time is up; in memory or in Redis."""

from __future__ import annotations

import pytest

from chatbot.conversation.pending import PendingSteps, RedisStore
from chatbot.secrets import SecretBox


async def test_a_step_is_expected_until_taken_or_expired() -> None:
    now = [0.0]
    steps = PendingSteps(ttl_s=60, clock=lambda: now[0])
    alice, bob = ("telegram", "1"), ("telegram", "2")
    await steps.expect(alice, "connect", handle="a.bsky.social")
    assert await steps.current(bob) is None
    assert await steps.take(alice, "csv") is None  # another step: left alone
    pending = await steps.current(alice)
    assert pending is not None and pending.data == {"handle": "a.bsky.social"}
    now[0] = 61
    assert await steps.current(alice) is None  # expired
    await steps.expect(alice, "csv")
    assert await steps.take(alice, "csv") is not None
    assert await steps.take(alice, "csv") is None  # consumed


async def test_only_plain_json_is_kept() -> None:
    with pytest.raises(TypeError):
        await PendingSteps().expect(("telegram", "1"), "x", when=object())


async def test_steps_in_redis_are_shared_encrypted_and_expire(redis_url: str) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(redis_url)
    box = SecretBox(SecretBox.new_key())
    one = PendingSteps(ttl_s=0.5, store=RedisStore(redis, box))
    other = PendingSteps(ttl_s=0.5, store=RedisStore(Redis.from_url(redis_url), box))
    alice = ("telegram", "redis-test-1")
    await one.expect(alice, "bluesky_password", handle="alice.bsky.social")
    raw = await redis.get("chatbot:pending:telegram:redis-test-1")
    assert raw is not None and b"alice.bsky.social" not in raw  # encrypted in Redis
    taken = await other.take(alice, "bluesky_password")  # another process sees it
    assert taken is not None and taken.data == {"handle": "alice.bsky.social"}
    assert await one.current(alice) is None
    await one.expect(alice, "csv")
    import asyncio

    await asyncio.sleep(0.7)
    assert await other.current(alice) is None  # expired by Redis
    await redis.aclose()
