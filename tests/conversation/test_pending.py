"""One expected next step per user, forgotten when the time is up."""

from __future__ import annotations

from chatbot.conversation.pending import PendingSteps


def test_a_step_is_expected_until_taken_or_expired() -> None:
    now = [0.0]
    steps = PendingSteps(ttl_s=60, clock=lambda: now[0])
    alice, bob = ("telegram", "1"), ("telegram", "2")
    steps.expect(alice, "connect", handle="a.bsky.social")
    assert steps.current(bob) is None
    assert steps.take(alice, "csv") is None  # another step: left alone
    pending = steps.current(alice)
    assert pending is not None and pending.data == {"handle": "a.bsky.social"}
    now[0] = 61
    assert steps.current(alice) is None  # expired
    steps.expect(alice, "csv")
    assert steps.take(alice, "csv") is not None
    assert steps.take(alice, "csv") is None  # consumed
