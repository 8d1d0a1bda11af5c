"""Parsed archive facts per user: counts, dates, follow ids (compressed), handle hints."""

from __future__ import annotations

import datetime as dt
import sys
import zlib
from array import array
from collections import Counter
from typing import Any

from sqlalchemy import delete, insert, select

from chatbot.archive.model import Counts, Owner, ParsedArchive, Profile, id_array
from chatbot.storage.db import Database
from chatbot.storage.schema import archives, handle_hints


def pack_ids(ids: array[int]) -> bytes:
    """Little-endian int64 ids, zlib-compressed (1M ids ~ 8 MB raw), read in place."""
    data = ids if ids.typecode == "q" and sys.byteorder == "little" else array("q", ids)
    if sys.byteorder == "big":
        data.byteswap()
    return zlib.compress(memoryview(data).cast("B"), 1)


def unpack_ids(blob: bytes) -> array[int]:
    data = id_array()
    data.frombytes(zlib.decompress(blob))
    if sys.byteorder == "big":
        data.byteswap()
    return data


class ArchiveStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, user_id: int, parsed: ParsedArchive) -> None:
        """Replace the stored facts of a user with `parsed`."""
        row: dict[str, Any] = {
            "user_id": user_id,
            "era": parsed.era,
            "owner_account_id": parsed.owner.account_id,
            "owner_username": parsed.owner.username,
            "owner_display_name": parsed.owner.display_name,
            "owner_created_at": parsed.owner.created_at,
            "generated_at": parsed.generated_at,
            "counts": vars(parsed.counts),
            "profile": vars(parsed.profile),
            "first_tweet": parsed.first_tweet,
            "last_tweet": parsed.last_tweet,
            "tweets_per_year": {str(k): v for k, v in parsed.tweets_per_year.items()},
            "following": pack_ids(parsed.following),
            "followers": pack_ids(parsed.followers),
            "blocked": pack_ids(parsed.blocked),
            "muted": pack_ids(parsed.muted),
            "handles_without_id": dict(parsed.handles_without_id),
            "parts": {k: {str(p): n for p, n in v.items()} for k, v in parsed.parts.items()},
            "warnings": list(parsed.warnings),
            "previous_usernames": list(parsed.owner.previous_usernames),
            "tweet_years_by_part": {
                str(part): {str(year): n for year, n in years.items()}
                for part, years in parsed.tweet_years_by_part.items()
            },
            "updated_at": dt.datetime.now(dt.UTC),
        }
        hints = [
            {"user_id": user_id, "x_id": x_id, "screen_name": name[:64], "seen": seen}
            for x_id, names in parsed.handles.items()
            for name, seen in names.items()
        ]
        async with self.db.begin() as conn:
            await conn.execute(delete(archives).where(archives.c.user_id == user_id))
            await conn.execute(delete(handle_hints).where(handle_hints.c.user_id == user_id))
            await conn.execute(insert(archives).values(row))
            for start in range(0, len(hints), 5000):
                await conn.execute(insert(handle_hints), hints[start : start + 5000])

    async def load(self, user_id: int) -> ParsedArchive | None:
        async with self.db.begin() as conn:
            row = (
                await conn.execute(select(archives).where(archives.c.user_id == user_id))
            ).first()
            if row is None:
                return None
            hint_rows = await conn.execute(
                select(handle_hints.c.x_id, handle_hints.c.screen_name, handle_hints.c.seen).where(
                    handle_hints.c.user_id == user_id
                )
            )
            handles: dict[int, Counter[str]] = {}
            for x_id, name, seen in hint_rows:
                handles.setdefault(int(x_id), Counter())[name] = seen
        return ParsedArchive(
            era=row.era,
            owner=Owner(
                row.owner_account_id,
                row.owner_username,
                row.owner_display_name,
                row.owner_created_at,
                list(row.previous_usernames),
            ),
            profile=Profile(**row.profile),
            counts=Counts(**row.counts),
            generated_at=row.generated_at,
            first_tweet=row.first_tweet,
            last_tweet=row.last_tweet,
            tweets_per_year={int(k): v for k, v in row.tweets_per_year.items()},
            following=unpack_ids(row.following),
            followers=unpack_ids(row.followers),
            blocked=unpack_ids(row.blocked),
            muted=unpack_ids(row.muted),
            handles=handles,
            handles_without_id=Counter(row.handles_without_id),
            parts={k: {int(p): n for p, n in v.items()} for k, v in row.parts.items()},
            warnings=list(row.warnings),
            tweet_years_by_part={
                int(part): {int(year): n for year, n in years.items()}
                for part, years in row.tweet_years_by_part.items()
            },
        )

    async def delete(self, user_id: int) -> None:
        async with self.db.begin() as conn:
            await conn.execute(delete(handle_hints).where(handle_hints.c.user_id == user_id))
            await conn.execute(delete(archives).where(archives.c.user_id == user_id))
