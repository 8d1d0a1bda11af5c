"""Approvals waiting for their code, on SQLite and PostgreSQL: the code works once, only
from the user and chat that asked, a few wrong tries at most (however many race), never
after expiry; the payload is encrypted; a replaced or expired approval is handed back
exactly once (to revoke its tokens)."""

from __future__ import annotations

import asyncio
import datetime as dt
import math

from sqlalchemy import select, update

from chatbot.oauth.codes import (
    ALPHABET,
    LENGTH,
    MAX_TRIES,
    ConfirmationStore,
    looks_shown,
    new_code,
    normalise,
)
from chatbot.secrets import SecretBox
from chatbot.storage.db import Database
from chatbot.storage.schema import oauth_confirmations
from chatbot.storage.users import UserStore

TOKENS = '{"kind": "oauth", "access_token": "canary-access", "refresh_token": "canary-refresh"}'


async def _store(database: Database) -> tuple[ConfirmationStore, int, int]:
    users = UserStore(database)
    alice = await users.get_or_create("telegram", "alice", private_chat_id="dm-alice")
    bob = await users.get_or_create("telegram", "bob", private_chat_id="dm-bob")
    return ConfirmationStore(database, SecretBox(SecretBox.new_key())), alice.id, bob.id


def _wrong(code: str) -> str:
    """Another valid code than `code`."""
    other = ALPHABET[(ALPHABET.index(code[0]) + 1) % len(ALPHABET)]
    return other + code[1:]


def test_codes_are_short_unambiguous_and_hard_to_guess() -> None:
    assert math.log2(len(ALPHABET) ** LENGTH) >= 30  # 39 bits: 5 tries of 6.6e11
    assert not set("01ILOU") & set(ALPHABET)
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000 and all(looks_shown(code) for code in codes)
    code = next(iter(codes))
    assert normalise(code.lower()) == normalise(code.replace("-", " ")) == code
    assert normalise(f"  {code[:4]} - {code[5:]} ") == code
    for text in ("hello", "ABCD-EFG", "ABCD-EFGHJ", "ABC0-EFGH", "OIL1-2345", code * 3, ""):
        assert normalise(text) is None, text
    assert not looks_shown(code.replace("-", ""))  # a bare word is not "shown like a code"


async def test_a_code_works_once_for_its_user_in_its_chat(database: Database) -> None:
    store, alice, bob = await _store(database)
    assert await store.put(alice, "dm-alice", "ABCD-EFGH", TOKENS, "a.test", 600) is None
    async with database.begin() as conn:
        raw = b"".join(
            bytes(row.payload) for row in await conn.execute(select(oauth_confirmations))
        )
    assert b"canary" not in raw and b"ABCD-EFGH" not in raw  # encrypted at rest
    assert (await store.attempt(bob, "dm-alice", "ABCD-EFGH")).outcome == "none"  # another user
    other = await store.attempt(alice, "dm-alice-2", "ABCD-EFGH")  # another chat of hers
    assert other.outcome == "other_chat" and other.held is None
    done = await store.attempt(alice, "dm-alice", "ABCD-EFGH")
    assert done.outcome == "ok" and done.held is not None
    assert (done.held.user_id, done.held.tokens, done.held.handle) == (alice, TOKENS, "a.test")
    assert (await store.attempt(alice, "dm-alice", "ABCD-EFGH")).outcome == "none"  # replayed


async def test_wrong_codes_then_the_approval_is_handed_back_to_revoke(
    database: Database,
) -> None:
    store, alice, _ = await _store(database)
    code = new_code()
    await store.put(alice, "dm-alice", code, TOKENS, "a.test", 600)
    left = [(await store.attempt(alice, "dm-alice", _wrong(code))) for _ in range(MAX_TRIES)]
    assert [a.outcome for a in left] == ["wrong"] * (MAX_TRIES - 1) + ["too_many"]
    assert [a.tries_left for a in left[:-1]] == list(range(MAX_TRIES - 1, 0, -1))
    assert left[-1].held is not None and left[-1].held.tokens == TOKENS  # to revoke
    assert (await store.attempt(alice, "dm-alice", code)).outcome == "none"  # too late


async def test_racing_guesses_pay_before_they_are_compared(database: Database) -> None:
    """Twenty guesses at once: at most MAX_TRIES are compared; the approval is handed
    back once; two racing right codes connect once."""
    store, alice, bob = await _store(database)
    code = new_code()
    await store.put(alice, "dm-alice", code, TOKENS, "a.test", 600)
    guesses = await asyncio.gather(
        *(store.attempt(alice, "dm-alice", _wrong(code)) for _ in range(20))
    )
    outcomes = [g.outcome for g in guesses]
    assert outcomes.count("wrong") + outcomes.count("too_many") == MAX_TRIES, outcomes
    assert outcomes.count("too_many") == 1 and sum(g.held is not None for g in guesses) == 1
    await store.put(bob, "dm-bob", code, TOKENS, "b.test", 600)
    both = await asyncio.gather(*(store.attempt(bob, "dm-bob", code) for _ in range(2)))
    assert sorted(b.outcome for b in both) == ["none", "ok"]


async def test_expired_replaced_purged_and_forgotten(database: Database) -> None:
    store, alice, bob = await _store(database)
    await store.put(alice, "dm-alice", "AAAA-AAAA", TOKENS, "old.test", 600)
    replaced = await store.put(alice, "dm-alice", "BBBB-BBBB", TOKENS, "new.test", 600)
    assert replaced is not None and replaced.handle == "old.test"  # handed back: revoke
    assert (await store.attempt(alice, "dm-alice", "AAAA-AAAA")).outcome == "wrong"
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)  # as time passing would
    async with database.begin() as conn:
        await conn.execute(update(oauth_confirmations).values(expires_at=past))
    late = await store.attempt(alice, "dm-alice", "BBBB-BBBB")
    assert late.outcome == "expired" and late.held is not None  # on next use: revoke
    await store.put(alice, "dm-alice", "CCCC-CCCC", TOKENS, "a.test", -1)
    await store.put(bob, "dm-bob", "DDDD-DDDD", TOKENS, "b.test", 600)
    assert [h.handle for h in await store.take_expired()] == ["a.test"]  # the purge
    assert await store.take_expired() == []
    assert len(await store.waiting_tokens()) == 1
    await UserStore(database).delete(bob)  # /forget: nothing of bob's stays
    assert await store.waiting_tokens() == []
