"""A user's own directory links (what they linked through the bot), and what arrived lately.

Complements `DirectoryStore` (the directory as the matcher reads it): listing and removing
one user's links, deleting all of a user's matching data, and the entries created since a
date for new-match notices.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, select

from chatbot.matching.model import DirectoryEntry
from chatbot.storage.chunks import CHUNK
from chatbot.storage.db import Database
from chatbot.storage.directory import _entry
from chatbot.storage.schema import directory_entries, match_decisions


class UserLinks:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def of_user(self, user_id: int) -> list[DirectoryEntry]:
        """The links this user made through the bot, whatever their consent state."""
        t = directory_entries.c
        query = (
            select(directory_entries)
            .where(t.user_id == user_id, t.provenance == "user_link")
            .order_by(t.network, t.id)
        )
        async with self.db.begin() as conn:
            return [_entry(row) for row in await conn.execute(query)]

    async def remove(
        self, user_id: int, network: str | None = None, *, keep_target: str | None = None
    ) -> int:
        """Delete the user's links (on one network; except `keep_target`). How many went."""
        t = directory_entries.c
        query = delete(directory_entries).where(t.user_id == user_id)
        if network is not None:
            query = query.where(t.network == network)
        if keep_target is not None:
            query = query.where(t.target != keep_target)
        async with self.db.begin() as conn:
            return (await conn.execute(query)).rowcount

    async def forget_user(self, user_id: int) -> None:
        """Everything matching keeps about the user: their links and their decisions."""
        async with self.db.begin() as conn:
            await conn.execute(
                delete(directory_entries).where(directory_entries.c.user_id == user_id)
            )
            await conn.execute(delete(match_decisions).where(match_decisions.c.user_id == user_id))

    async def arrived_since(
        self, x_ids: Sequence[int], since: dt.datetime, *, exclude_user: int | None = None
    ) -> set[int]:
        """X ids among `x_ids` with a usable directory entry created after `since`."""
        t = directory_entries.c
        found: set[int] = set()
        unique = sorted(set(x_ids))
        async with self.db.begin() as conn:
            for start in range(0, len(unique), CHUNK):
                query = select(t.x_id).where(
                    t.x_id.in_(unique[start : start + CHUNK]),
                    t.created_at > since,
                    t.findable.is_(True),
                    t.withdrawn_at.is_(None),
                )
                if exclude_user is not None:
                    query = query.where((t.user_id.is_(None)) | (t.user_id != exclude_user))
                found.update(int(x_id) for (x_id,) in await conn.execute(query))
        return found
