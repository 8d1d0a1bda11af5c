"""Approvals in progress on SQLite and PostgreSQL: single use, expiring, one per user,
encrypted, gone with the user."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from chatbot.oauth.states import StateStore
from chatbot.secrets import SecretBox
from chatbot.storage.db import Database
from chatbot.storage.schema import oauth_states
from chatbot.storage.users import UserStore


async def test_a_state_works_once_then_never(database: Database) -> None:
    store = StateStore(database, SecretBox(SecretBox.new_key()))
    user = await UserStore(database).get_or_create("telegram", "1")
    state = await store.create(user.id, {"verifier": "canary-verifier"}, ttl_s=600)
    async with database.begin() as conn:
        rows = list(await conn.execute(select(oauth_states)))
    assert len(rows) == 1 and state not in rows[0].state_hash  # only a hash is kept
    assert b"canary-verifier" not in rows[0].payload  # encrypted
    first, second = await asyncio.gather(store.take(state), store.take(state))
    outcomes = sorted([first.outcome, second.outcome])
    assert outcomes == ["ok", "unknown"]  # two racing callbacks: one wins
    winner = first if first.outcome == "ok" else second
    assert winner.user_id == user.id and winner.payload == {"verifier": "canary-verifier"}
    assert (await store.take(state)).outcome == "unknown"


async def test_expired_replaced_and_forgotten_states(database: Database) -> None:
    store = StateStore(database, SecretBox(SecretBox.new_key()))
    users = UserStore(database)
    alice = await users.get_or_create("telegram", "1")
    bob = await users.get_or_create("telegram", "2")
    old = await store.create(alice.id, {}, ttl_s=-1)
    taken = await store.take(old)
    assert taken.outcome == "expired" and taken.user_id == alice.id and taken.payload is None
    first = await store.create(alice.id, {}, ttl_s=600)
    second = await store.create(alice.id, {}, ttl_s=600)  # a new /connect replaces the link
    assert (await store.take(first)).outcome == "unknown"
    kept = await store.create(bob.id, {}, ttl_s=600)
    await users.delete(bob.id)  # /forget: the row goes with the user
    assert (await store.take(kept)).outcome == "unknown"
    assert (await store.take(second)).outcome == "ok"
    assert (await store.take("")).outcome == "unknown"
