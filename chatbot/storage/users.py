"""Chat users: their language, their private chat, their link code, new-match notices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

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
    private_chat_id: str | None = None
    notify_matches: bool = False
    notified_at: dt.datetime | None = None


def _record(row: Any) -> UserRecord:
    return UserRecord(
        row.id,
        row.platform,
        row.platform_user_id,
        row.language,
        row.private_chat_id,
        bool(row.notify_matches),
        row.notified_at,
    )


class UserStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get_or_create(
        self, platform: str, platform_user_id: str, *, private_chat_id: str | None = None
    ) -> UserRecord:
        """The user (created on first contact); `private_chat_id` is remembered when given."""
        now = dt.datetime.now(dt.UTC)
        query = select(users).where(
            users.c.platform == platform, users.c.platform_user_id == platform_user_id
        )
        async with self.db.begin() as conn:
            row = (await conn.execute(query)).first()
            if row is not None:
                values: dict[str, Any] = {"last_seen_at": now}
                if private_chat_id and private_chat_id != row.private_chat_id:
                    values["private_chat_id"] = private_chat_id
                await conn.execute(update(users).where(users.c.id == row.id).values(values))
                record = _record(row)
                if "private_chat_id" in values:
                    record = replace(record, private_chat_id=private_chat_id)
                return record
        try:
            async with self.db.begin() as conn:
                result = await conn.execute(
                    users.insert().values(
                        platform=platform,
                        platform_user_id=platform_user_id,
                        private_chat_id=private_chat_id,
                        created_at=now,
                        last_seen_at=now,
                    )
                )
                new_id = result.inserted_primary_key[0]  # type: ignore[index]
                return UserRecord(int(new_id), platform, platform_user_id, None, private_chat_id)
        except IntegrityError:  # created concurrently by another process
            return await self.get_or_create(
                platform, platform_user_id, private_chat_id=private_chat_id
            )

    async def get(self, user_id: int) -> UserRecord | None:
        async with self.db.begin() as conn:
            row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
        return None if row is None else _record(row)

    async def find(self, platform: str, platform_user_id: str) -> UserRecord | None:
        """The user if the bot knows them (never creates one)."""
        query = select(users).where(
            users.c.platform == platform, users.c.platform_user_id == platform_user_id
        )
        async with self.db.begin() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _record(row)

    async def set_language(self, user_id: int, language: str | None) -> None:
        await self._set(user_id, language=language)

    async def link_code(self, user_id: int, make: Callable[[], str]) -> str:
        """The user's link code, created with `make()` the first time."""
        async with self.db.begin() as conn:
            code = (
                await conn.execute(select(users.c.link_code).where(users.c.id == user_id))
            ).scalar()
            if code:
                return str(code)
            code = make()
            await conn.execute(update(users).where(users.c.id == user_id).values(link_code=code))
            return code

    async def set_notify(self, user_id: int, on: bool, now: dt.datetime | None = None) -> None:
        """Opt in or out of new-match notices; opting in starts counting from `now`."""
        values: dict[str, Any] = {"notify_matches": on}
        if on:
            values["notified_at"] = now or dt.datetime.now(dt.UTC)
        await self._set(user_id, **values)

    async def mark_notified(self, user_id: int, when: dt.datetime) -> None:
        await self._set(user_id, notified_at=when)

    async def to_notify(self, before: dt.datetime) -> list[UserRecord]:
        """Users who opted in, have a private chat, and were last notified before `before`."""
        c = users.c
        query = select(users).where(
            c.notify_matches.is_(True),
            c.private_chat_id.is_not(None),
            (c.notified_at.is_(None)) | (c.notified_at < before),
        )
        async with self.db.begin() as conn:
            return [_record(row) for row in await conn.execute(query.order_by(c.id))]

    async def delete(self, user_id: int) -> None:
        """Delete the user and, through foreign keys, everything stored about them."""
        async with self.db.begin() as conn:
            await conn.execute(delete(users).where(users.c.id == user_id))

    async def _set(self, user_id: int, **values: Any) -> None:
        async with self.db.begin() as conn:
            await conn.execute(update(users).where(users.c.id == user_id).values(**values))
