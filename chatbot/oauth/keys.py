"""The bot's client keys (ES256, `private_key_jwt`): generated, stored encrypted, rotatable.

The newest key that is not retired signs the client assertions of new sessions. An
authorization server binds each session to the key that started it (the reference
server refuses a refresh signed with another key), so a rotation retires the old key
without deleting it: it stays published at `/oauth/jwks.json` and keeps refreshing its
sessions until none is left (`chatbot oauth-keys prune` then deletes it). Only public
parts are ever published.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import orjson
from joserfc.jwk import ECKey
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from chatbot.oauth import jose
from chatbot.secrets import SecretBox, SecretDecryptionError
from chatbot.storage.db import Database
from chatbot.storage.schema import oauth_client_keys

log = logging.getLogger(__name__)

MAX_KEYS = 16  # published keys (active + retired still in use); more means prune


@dataclass(frozen=True)
class ClientKey:
    kid: str
    key: ECKey
    created_at: dt.datetime
    retired_at: dt.datetime | None

    @property
    def public(self) -> dict[str, Any]:
        return jose.public_jwk(self.key, self.kid)


class ClientKeyStore:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self.db = db
        self.box = box

    async def active(self) -> ClientKey:
        """The signing key of new sessions; generated on first use."""
        keys = await self.all()
        for key in keys:
            if key.retired_at is None:
                return key
        return await self._create()

    async def get(self, kid: str) -> ClientKey | None:
        query = select(oauth_client_keys).where(oauth_client_keys.c.kid == kid)
        async with self.db.begin() as conn:
            row = (await conn.execute(query)).first()
        return self._key(row) if row is not None else None

    async def all(self) -> list[ClientKey]:
        """Every stored key, newest first."""
        t = oauth_client_keys.c
        query = select(oauth_client_keys).order_by(t.created_at.desc(), t.kid).limit(MAX_KEYS)
        async with self.db.begin() as conn:
            rows = list(await conn.execute(query))
        keys = []
        for row in rows:
            try:
                keys.append(self._key(row))
            except SecretDecryptionError:  # another secret key: unusable, left to prune
                log.warning("an OAuth client key cannot be decrypted (secret key changed?)")
        return keys

    async def jwks(self) -> dict[str, Any]:
        """The public key set served at /oauth/jwks.json (creates the first key if needed)."""
        keys = await self.all() or [await self.active()]
        return {"keys": [key.public for key in keys]}

    async def rotate(self) -> ClientKey:
        """A new signing key; the others are retired (still published while in use)."""
        now = dt.datetime.now(dt.UTC)
        async with self.db.begin() as conn:
            await conn.execute(
                update(oauth_client_keys)
                .where(oauth_client_keys.c.retired_at.is_(None))
                .values(retired_at=now)
            )
        return await self._create()

    async def prune(self, in_use: set[str]) -> list[str]:
        """Delete retired keys no stored session is bound to; their kids."""
        t = oauth_client_keys.c
        gone = [
            k.kid for k in await self.all() if k.retired_at is not None and k.kid not in in_use
        ]
        if gone:
            async with self.db.begin() as conn:
                await conn.execute(delete(oauth_client_keys).where(t.kid.in_(gone)))
        return gone

    async def _create(self) -> ClientKey:
        key = jose.new_key()
        kid = jose.thumbprint(key)[:32]
        now = dt.datetime.now(dt.UTC)
        body = orjson.dumps(jose.private_dict(key))
        try:
            async with self.db.begin() as conn:
                await conn.execute(
                    insert(oauth_client_keys).values(
                        kid=kid, private_jwk=self.box.encrypt(body), created_at=now
                    )
                )
        except IntegrityError:  # impossible in practice (random keys)
            pass
        active = await self.all()  # two processes may create one at once: newest wins
        return next(k for k in active if k.retired_at is None)

    def _key(self, row: Any) -> ClientKey:
        data = orjson.loads(self.box.decrypt(row.private_jwk))
        return ClientKey(row.kid, jose.key_from_dict(data), row.created_at, row.retired_at)
