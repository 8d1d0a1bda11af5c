"""Chat users and their language choice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from chatbot.storage.db import Database
from chatbot.storage.schema import users


@dataclass(frozen=True)
class UserRecord:
    id: int
    platform: str
    platform_user_id: str
    language: str | None


class UserStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get_or_create(self, platform: str, platform_user_id: str) -> UserRecord:
        now = dt.datetime.now(dt.UTC)
        query = select(users).where(
            users.c.platform == platform, users.c.platform_user_id == platform_user_id
        )
        async with self.db.begin() as conn:
            row = (await conn.execute(query)).first()
            if row is not None:
                await conn.execute(
                    update(users).where(users.c.id == row.id).values(last_seen_at=now)
                )
                return UserRecord(row.id, row.platform, row.platform_user_id, row.language)
        try:
            async with self.db.begin() as conn:
                result = await conn.execute(
                    users.insert().values(
                        platform=platform,
                        platform_user_id=platform_user_id,
                        created_at=now,
                        last_seen_at=now,
                    )
                )
                new_id = result.inserted_primary_key[0]  # type: ignore[index]
                return UserRecord(int(new_id), platform, platform_user_id, None)
        except IntegrityError:  # created concurrently by another process
            return await self.get_or_create(platform, platform_user_id)

    async def set_language(self, user_id: int, language: str | None) -> None:
        async with self.db.begin() as conn:
            await conn.execute(
                update(users).where(users.c.id == user_id).values(language=language)
            )

    async def delete(self, user_id: int) -> None:
        """Delete the user and, through foreign keys, everything stored about them."""
        async with self.db.begin() as conn:
            await conn.execute(delete(users).where(users.c.id == user_id))
