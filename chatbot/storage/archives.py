"""Parsed archive facts per user: counts, dates, follow ids (compressed), handle hints."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import zlib
from array import array
from collections import Counter
from typing import Any

from sqlalchemy import delete, insert, select

from chatbot.archive.idlist import dedupe
from chatbot.archive.model import Counts, Owner, ParsedArchive, Profile, id_array
from chatbot.storage.db import Database
from chatbot.storage.limits import fit_archive
from chatbot.storage.schema import archives, handle_hints

ID_LISTS = ("following", "followers", "blocked", "muted")  # packed id columns
_PIECE = 1 << 20


def pack_ids(ids: array[int]) -> bytes:
    """Little-endian int64 ids, zlib-compressed (1M ids ~ 8 MB raw), compressed straight
    from the array's memory (no copy of a list of tens of millions of ids)."""
    data = ids if ids.typecode == "q" and sys.byteorder == "little" else array("q", ids)
    if sys.byteorder == "big":
        data.byteswap()
    return zlib.compress(memoryview(data).cast("B"), 1)


def unpack_ids(blob: bytes) -> array[int]:
    """The ids of `pack_ids`, decompressed piece by piece into one array."""
    data = id_array()
    inflate = zlib.decompressobj()
    view = memoryview(blob)
    for start in range(0, len(view), _PIECE):
        data.frombytes(inflate.decompress(view[start : start + _PIECE]))
    data.frombytes(inflate.flush())
    if sys.byteorder == "big":
        data.byteswap()
    return data


def _sorted_ids(blob: bytes) -> array[int]:
    """The ids sorted and unique, as the reader keeps them (rows written before it did
    are sorted here; the others pass a quick check)."""
    return dedupe(unpack_ids(blob))


class ArchiveStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, user_id: int, parsed: ParsedArchive) -> None:
        """Replace the stored facts of a user with `parsed`, fitted to the schema first
        (`fit_archive`: raises ArchiveError for an owner no X account can be)."""
        parsed = fit_archive(parsed)
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
            **{
                name: await asyncio.to_thread(pack_ids, getattr(parsed, name)) for name in ID_LISTS
            },
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
        parsed = ParsedArchive(
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
            handles=handles,
            handles_without_id=Counter(row.handles_without_id),
            parts={k: {int(p): n for p, n in v.items()} for k, v in row.parts.items()},
            warnings=list(row.warnings),
            tweet_years_by_part={
                int(part): {int(year): n for year, n in years.items()}
                for part, years in row.tweet_years_by_part.items()
            },
        )
        for name in ID_LISTS:  # inflated off the event loop: tens of MB for big accounts
            ids = await asyncio.to_thread(_sorted_ids, getattr(row, name))
            setattr(parsed, name, ids)
        return parsed

    async def counts(self, user_id: int) -> Counts | None:
        """The record counts of the user's archive alone (no id lists unpacked)."""
        async with self.db.begin() as conn:
            row = (
                await conn.execute(select(archives.c.counts).where(archives.c.user_id == user_id))
            ).first()
        return Counts(**row.counts) if row is not None else None

    async def delete(self, user_id: int) -> None:
        async with self.db.begin() as conn:
            await conn.execute(delete(handle_hints).where(handle_hints.c.user_id == user_id))
            await conn.execute(delete(archives).where(archives.c.user_id == user_id))
