"""The prepared posts of a user's import and the tweet -> post log, in the database.

`post_log` is keyed by (user, tweet, part): once a part is logged as posted it is never
sent again, by this import or any later one, even after the prepared posts are gone.
The media files of a prepared import live on disk next to the database
(`media_dir`); they are deleted with the prepared posts.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from chatbot.migration.store import utc_now
from chatbot.ops.metrics import POSTS_IMPORTED
from chatbot.posts.prepare import PreparedPost
from chatbot.storage.db import Database
from chatbot.storage.schema import post_items, post_log

CHUNK = 500


def media_dir(data_dir: Path, user_id: int) -> Path:
    return data_dir / "posts" / str(user_id)


@dataclass(frozen=True)
class Posted:
    uri: str
    cid: str


class PostStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def replace(self, user_id: int, posts: list[PreparedPost]) -> None:
        """Keep `posts` as the user's prepared import (dropping an earlier one)."""
        rows = [
            {
                "user_id": user_id,
                "tweet_id": p.tweet_id,
                "seq": p.seq,
                "root_id": p.root_id,
                "parent_id": p.parent_id,
                "created_at": p.created_at,
                "parts": p.parts,
                "media": p.media,
                "langs": p.langs,
                "note": p.note,
            }
            for p in posts
        ]
        async with self.db.begin() as conn:
            await conn.execute(delete(post_items).where(post_items.c.user_id == user_id))
            for start in range(0, len(rows), CHUNK):
                await conn.execute(insert(post_items), rows[start : start + CHUNK])

    async def items(self, user_id: int) -> list[PreparedPost]:
        query = (
            select(post_items).where(post_items.c.user_id == user_id).order_by(post_items.c.seq)
        )
        async with self.db.begin() as conn:
            rows = (await conn.execute(query)).all()
        return [
            PreparedPost(
                tweet_id=int(r.tweet_id),
                seq=r.seq,
                root_id=int(r.root_id),
                parent_id=int(r.parent_id) if r.parent_id is not None else None,
                created_at=r.created_at,
                parts=list(r.parts or []),
                media=list(r.media or []),
                langs=list(r.langs or []),
                note=r.note,
            )
            for r in rows
        ]

    async def count(self, user_id: int) -> int:
        query = select(func.count()).where(post_items.c.user_id == user_id)
        async with self.db.begin() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def clear(self, user_id: int, data_dir: Path) -> None:
        """Drop the prepared import and its media files (the log stays)."""
        async with self.db.begin() as conn:
            await conn.execute(delete(post_items).where(post_items.c.user_id == user_id))
        shutil.rmtree(media_dir(data_dir, user_id), ignore_errors=True)

    async def posted(self, user_id: int) -> dict[tuple[int, int], Posted]:
        """(tweet id, part) -> the post made, for every part logged as posted."""
        query = select(post_log.c.tweet_id, post_log.c.part, post_log.c.uri, post_log.c.cid).where(
            post_log.c.user_id == user_id, post_log.c.status == "posted"
        )
        async with self.db.begin() as conn:
            rows = (await conn.execute(query)).all()
        return {(int(r.tweet_id), r.part): Posted(r.uri or "", r.cid or "") for r in rows}

    async def log(
        self,
        user_id: int,
        tweet_id: int,
        part: int,
        status: str,
        *,
        uri: str | None = None,
        cid: str | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        """Record one part's outcome; a posted part is final, a failed one may be retried."""
        values: dict[str, Any] = {"user_id": user_id, "tweet_id": tweet_id, "part": part,
                                  "status": status, "uri": uri, "cid": cid,
                                  "created_at": now or utc_now()}  # fmt: skip
        maker = sqlite_insert if self.db.is_sqlite else pg_insert
        statement = maker(post_log).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["user_id", "tweet_id", "part"],
            set_={k: values[k] for k in ("status", "uri", "cid", "created_at")},
            where=post_log.c.status != "posted",
        )
        async with self.db.begin() as conn:
            await conn.execute(statement)
        if status == "posted":
            POSTS_IMPORTED.inc()
