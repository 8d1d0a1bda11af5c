"""Approvals in progress: one per user, bound to that chat user, single use, short-lived.

The `state` parameter of an approval link is 256 random bits; only its SHA-256 is stored,
next to the chat user who asked and an encrypted payload (PKCE verifier, DPoP key, the
authorization server, the account asked for). The database is shared by every process,
so the callback may reach any front end. `take` deletes the row in the same transaction
that reads it: a second use finds nothing, and only one of two racing callbacks wins.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from sqlalchemy import delete, insert, select

from chatbot.secrets import SecretBox, SecretDecryptionError
from chatbot.storage.db import Database
from chatbot.storage.schema import oauth_states

Outcome = Literal["ok", "unknown", "expired"]


@dataclass(frozen=True)
class Taken:
    outcome: Outcome
    user_id: int | None = None
    payload: dict[str, Any] | None = None


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8", "replace")).hexdigest()


class StateStore:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self.db = db
        self.box = box

    async def create(self, user_id: int, payload: dict[str, Any], ttl_s: float) -> str:
        """A new state for `user_id` (replacing their previous link); the state string."""
        state = secrets.token_urlsafe(32)
        now = dt.datetime.now(dt.UTC)
        t = oauth_states.c
        async with self.db.begin() as conn:
            # one approval in progress per user; expired rows of anyone are swept too
            await conn.execute(delete(oauth_states).where(t.user_id == user_id))
            await conn.execute(delete(oauth_states).where(t.expires_at < now))
            await conn.execute(
                insert(oauth_states).values(
                    state_hash=_hash(state),
                    user_id=user_id,
                    payload=self.box.encrypt(orjson.dumps(payload)),
                    expires_at=now + dt.timedelta(seconds=ttl_s),
                )
            )
        return state

    async def take(self, state: str) -> Taken:
        """Consume `state`: "ok" with its user and payload, "expired", or "unknown"."""
        if not state or len(state) > 256:
            return Taken("unknown")
        key = _hash(state)
        t = oauth_states.c
        async with self.db.begin() as conn:
            row = (await conn.execute(select(oauth_states).where(t.state_hash == key))).first()
            if row is None:
                return Taken("unknown")
            gone = await conn.execute(delete(oauth_states).where(t.state_hash == key))
            if gone.rowcount != 1:  # another callback took it first
                return Taken("unknown")
        if row.expires_at < dt.datetime.now(dt.UTC):
            return Taken("expired", row.user_id)
        try:
            payload = orjson.loads(self.box.decrypt(row.payload))
        except (SecretDecryptionError, orjson.JSONDecodeError):
            return Taken("unknown")
        return Taken("ok", row.user_id, payload)

    async def forget_user(self, user_id: int) -> None:
        async with self.db.begin() as conn:
            await conn.execute(delete(oauth_states).where(oauth_states.c.user_id == user_id))
