"""Approved logins waiting for their one-time code: the codes, and where the tokens wait.

Why: a link's `state` is bound to the chat user who asked for it, who may not be the
person who approves (someone sends their own link to a victim: "verify your account").
So an approval connects nothing by itself: the callback page shows a short code to the
person who approved, and only that code, sent by the same user in the chat that asked,
turns the waiting tokens into a connected account (`chatbot.oauth.confirm`).

A code is 8 characters from an alphabet without look-alikes (30 symbols, 39 bits),
shown as ``ABCD-EFGH``; typed in any case, with or without the dash or spaces. One row
per user in the shared database (any process may take the callback, any other the code);
its payload (the code, the token set, the handle) is encrypted; a row is taken by
deleting it, so exactly one process connects, discards or revokes it. Every code tried
is paid for before it is compared (`attempts`, raised atomically): at most `MAX_TRIES`
comparisons per approval, however many processes or messages race.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from sqlalchemy import Row, delete, insert, select, update

from chatbot.secrets import SecretBox, SecretDecryptionError
from chatbot.storage.db import Database
from chatbot.storage.schema import oauth_confirmations

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U (reads as V)
LENGTH = 8  # 30**8: 39 bits
MAX_TRIES = 5  # wrong codes before the approval is discarded (and its tokens revoked)
_SHOWN = re.compile(rf"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}")

Outcome = Literal["ok", "wrong", "too_many", "expired", "other_chat", "none"]


def new_code() -> str:
    """A fresh code, as shown: ``ABCD-EFGH``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalise(text: str) -> str | None:
    """The code a message holds (``ABCD-EFGH``), or None when it is not shaped like one."""
    if len(text) > 4 * LENGTH:
        return None
    raw = "".join(text.split()).replace("-", "").upper()
    if len(raw) != LENGTH or any(c not in ALPHABET for c in raw):
        return None
    return f"{raw[:4]}-{raw[4:]}"


def looks_shown(text: str) -> bool:
    """Whether a message is a code exactly as a page shows it (not merely a short word)."""
    return _SHOWN.fullmatch(text.strip().upper()) is not None


@dataclass(frozen=True)
class Held:
    """An approval taken out of the table: its tokens are now the taker's to use or revoke."""

    user_id: int
    tokens: str  # the encoded `TokenSet`
    handle: str


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    tries_left: int = 0
    held: Held | None = None  # "ok": to connect; "too_many", "expired": to revoke


class ConfirmationStore:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self.db = db
        self.box = box

    async def put(
        self, user_id: int, chat_id: str, code: str, tokens: str, handle: str, ttl_s: float
    ) -> Held | None:
        """Hold an approval for `user_id`, to be confirmed in `chat_id` with `code` within
        `ttl_s`; the approval it replaces, if any (the caller revokes its tokens)."""
        old = await self._row(user_id)
        replaced = await self._take(old) if old is not None else None
        payload = orjson.dumps({"code": code, "tokens": tokens, "handle": handle})
        async with self.db.begin() as conn:
            await conn.execute(
                insert(oauth_confirmations).values(
                    id=secrets.token_hex(16),
                    user_id=user_id,
                    chat_id=chat_id,
                    payload=self.box.encrypt(payload),
                    attempts=0,
                    expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=ttl_s),
                )
            )
        return replaced

    async def attempt(self, user_id: int, chat_id: str, code: str) -> Attempt:
        """Try `code`, sent by `user_id` in `chat_id`."""
        t = oauth_confirmations.c
        now = dt.datetime.now(dt.UTC)
        row = await self._row(user_id)
        if row is None:
            return Attempt("none")
        if row.expires_at <= now:
            held = await self._take(row)
            return Attempt("expired", held=held) if held is not None else Attempt("none")
        if row.chat_id != chat_id:
            return Attempt("other_chat")  # not compared, not counted: no oracle elsewhere
        async with self.db.begin() as conn:
            paid = await conn.execute(
                update(oauth_confirmations)
                .where(t.id == row.id, t.attempts < MAX_TRIES, t.expires_at > now)
                .values(attempts=t.attempts + 1)
            )
            if paid.rowcount != 1:  # taken, replaced or used up meanwhile
                return Attempt("none")
            tries = (await conn.execute(select(t.attempts).where(t.id == row.id))).scalar_one()
        expected = self._payload(row.payload).get("code", "")
        if hmac.compare_digest(str(expected).encode(), code.encode()):
            held = await self._take(row)
            return Attempt("ok", held=held) if held is not None else Attempt("none")
        if tries >= MAX_TRIES:
            held = await self._take(row)
            return Attempt("too_many", held=held) if held is not None else Attempt("none")
        return Attempt("wrong", tries_left=MAX_TRIES - tries)

    async def take_user(self, user_id: int) -> Held | None:
        """Take the user's waiting approval, if any (/disconnect, /forget)."""
        row = await self._row(user_id)
        return await self._take(row) if row is not None else None

    async def take_expired(self, limit: int = 100) -> list[Held]:
        """Take up to `limit` approvals whose code has expired (the purge)."""
        t = oauth_confirmations.c
        now = dt.datetime.now(dt.UTC)
        query = select(oauth_confirmations).where(t.expires_at <= now)
        async with self.db.begin() as conn:
            rows = list(await conn.execute(query.order_by(t.expires_at).limit(limit)))
        taken = [await self._take(row) for row in rows]
        return [held for held in taken if held is not None]

    async def waiting_tokens(self, batch: int = 500) -> list[str]:
        """The token sets of every waiting approval (their client keys stay published)."""
        t = oauth_confirmations.c
        found: list[str] = []
        last = ""
        while True:
            query = select(t.id, t.payload).where(t.id > last).order_by(t.id).limit(batch)
            async with self.db.begin() as conn:
                rows = list(await conn.execute(query))
            found += [str(self._payload(r.payload).get("tokens", "")) for r in rows]
            if len(rows) < batch:
                return [tokens for tokens in found if tokens]
            last = rows[-1].id

    async def _row(self, user_id: int) -> Row[Any] | None:
        query = select(oauth_confirmations).where(oauth_confirmations.c.user_id == user_id)
        async with self.db.begin() as conn:
            return (await conn.execute(query)).first()

    async def _take(self, row: Row[Any]) -> Held | None:
        """Delete `row`; its content if this call deleted it (None when another did)."""
        t = oauth_confirmations.c
        async with self.db.begin() as conn:
            gone = await conn.execute(delete(oauth_confirmations).where(t.id == row.id))
        if gone.rowcount != 1:
            return None
        payload = self._payload(row.payload)
        tokens, handle = payload.get("tokens"), payload.get("handle")
        if not isinstance(tokens, str) or not isinstance(handle, str):
            return None  # unreadable (another key): nothing to use or revoke
        return Held(row.user_id, tokens, handle)

    def _payload(self, token: bytes) -> dict[str, object]:
        try:
            data = orjson.loads(self.box.decrypt(token))
        except (SecretDecryptionError, orjson.JSONDecodeError):
            return {}
        return data if isinstance(data, dict) else {}
