"""Per user, per chat conversation state: the numbered choices offered where no buttons exist."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, delete, insert, select

from chatbot.storage.db import Database
from chatbot.storage.schema import chat_state

CHOICES_TTL = dt.timedelta(hours=1)


class ChatStateStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def remember_choices(
        self, platform: str, chat_id: str, user_id: str, choices: list[str]
    ) -> None:
        """Remember the callback data behind the numbers 1..n shown to a user."""
        key = _key(platform, chat_id, user_id)
        async with self.db.begin() as conn:
            await conn.execute(delete(chat_state).where(*key))
            await conn.execute(
                insert(chat_state).values(
                    platform=platform,
                    chat_id=chat_id,
                    user_id=user_id,
                    choices=choices,
                    expires_at=dt.datetime.now(dt.UTC) + CHOICES_TTL,
                )
            )

    async def pick_choice(
        self, platform: str, chat_id: str, user_id: str, text: str
    ) -> str | None:
        """The callback data for a reply such as "2"; consumes the pending choices."""
        answer = text.strip().rstrip(".)")
        if not answer.isdigit():
            return None
        key = _key(platform, chat_id, user_id)
        async with self.db.begin() as conn:
            row = (await conn.execute(select(chat_state).where(*key))).first()
            if row is None or row.expires_at < dt.datetime.now(dt.UTC):
                return None
            index = int(answer) - 1
            if not 0 <= index < len(row.choices):
                return None
            await conn.execute(delete(chat_state).where(*key))
            return str(row.choices[index])

    async def forget_user(self, platform: str, user_id: str) -> None:
        async with self.db.begin() as conn:
            await conn.execute(
                delete(chat_state).where(
                    chat_state.c.platform == platform, chat_state.c.user_id == user_id
                )
            )


def _key(platform: str, chat_id: str, user_id: str) -> tuple[ColumnElement[bool], ...]:
    return (
        chat_state.c.platform == platform,
        chat_state.c.chat_id == chat_id,
        chat_state.c.user_id == user_id,
    )
