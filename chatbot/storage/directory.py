"""The X-id directory, the aggregated id -> screen name observations, and match decisions.

`DirectoryStore` implements `chatbot.matching.directory.DirectoryReader` over SQL. The ids
of an archive are joined in bulk (`chatbot.storage.bulk`: a packed chunk per statement, so
2,200,000 followers cost a few statements, see bench/bench_scale.py); names go in chunks
of `CHUNK` bound parameters.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from chatbot.matching.contacts import IdsLike, packed
from chatbot.matching.directory import CsvProblem, parse_directory_csv
from chatbot.matching.model import (
    Decision,
    Decisions,
    DirectoryEntry,
    NewAccountProof,
    Observations,
    Provenance,
    XProof,
)
from chatbot.storage.bulk import chunks, id_param, id_table
from chatbot.storage.db import OBSERVATIONS_LOCK, Database, transaction_lock
from chatbot.storage.schema import (
    directory_entries,
    handle_hints,
    match_decisions,
    x_name_observations,
)

CHUNK = 5000  # bound parameters per IN (...) query (SQLite allows 32,766)
ROWS = 2000  # rows fetched at a time by the bulk lookups
ENTRY_COLUMNS = (  # what a DirectoryEntry holds (`_entry`)
    "x_id", "x_username", "network", "handle", "did", "acct", "provenance",
    "provenance_detail", "new_account_proof", "x_proof", "findable", "withdrawn_at",
)  # fmt: skip


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _row(entry: DirectoryEntry, user_id: int | None, now: dt.datetime) -> dict[str, Any]:
    return {
        "x_id": entry.x_id,
        "x_username": (entry.x_username or None) and entry.x_username[:64],
        "network": entry.network,
        "target": entry.target,
        "handle": entry.handle,
        "did": entry.did,
        "acct": entry.acct,
        "provenance": entry.provenance,
        "provenance_detail": entry.provenance_detail,
        "user_id": user_id,
        "new_account_proof": entry.new_account_proof,
        "x_proof": entry.x_proof,
        "findable": entry.findable,
        "withdrawn_at": entry.withdrawn_at,
        "created_at": now,
        "updated_at": now,
    }


def _shared(value: str | None) -> Any:
    """One copy of the few distinct values a column repeats in every row (tens of
    thousands of entries for a large archive)."""
    return sys.intern(value) if value is not None else None


def _entry(row: Any) -> DirectoryEntry:
    return DirectoryEntry(
        x_id=int(row.x_id),
        x_username=row.x_username,
        network=_shared(row.network),
        handle=row.handle,
        did=row.did,
        acct=row.acct,
        provenance=_shared(row.provenance),
        provenance_detail=_shared(row.provenance_detail),
        new_account_proof=_shared(row.new_account_proof),
        x_proof=_shared(row.x_proof),
        findable=bool(row.findable),
        withdrawn_at=row.withdrawn_at,
    )


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    problems: list[CsvProblem]


class DirectoryStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- writing ---------------------------------------------------------------

    async def save(self, entry: DirectoryEntry, *, user_id: int | None = None) -> bool:
        """Insert or update the link (same x_id, network, target, provenance). True if new."""
        now = dt.datetime.now(dt.UTC)
        row = _row(entry, user_id, now)
        async with self.db.begin() as conn:
            return await self._upsert(conn, row)

    async def _upsert(self, conn: AsyncConnection, row: dict[str, Any]) -> bool:
        t = directory_entries.c
        key = and_(
            t.x_id == row["x_id"],
            t.network == row["network"],
            t.target == row["target"],
            t.provenance == row["provenance"],
        )
        existing = (await conn.execute(select(t.id).where(key))).scalar()
        if existing is None:
            await conn.execute(insert(directory_entries).values(row))
            return True
        changes = {k: v for k, v in row.items() if k not in ("created_at",)}
        await conn.execute(update(directory_entries).where(t.id == existing).values(changes))
        return False

    async def add_many(self, entries: Sequence[DirectoryEntry]) -> None:
        """Bulk insert of new entries (imports, the benchmark)."""
        now = dt.datetime.now(dt.UTC)
        async with self.db.begin() as conn:
            for chunk in _chunks(entries, 20000):
                await conn.execute(insert(directory_entries), [_row(e, None, now) for e in chunk])

    async def set_proofs(
        self,
        x_id: int,
        network: str,
        target: str,
        *,
        new_account_proof: NewAccountProof | None = None,
        x_proof: XProof | None = None,
        x_username: str | None = None,
    ) -> int:
        """Record a proof checked by the bot (`chatbot.matching.proofs`)."""
        values: dict[str, Any] = {"updated_at": dt.datetime.now(dt.UTC)}
        if new_account_proof is not None:
            values["new_account_proof"] = new_account_proof
        if x_proof is not None:
            values["x_proof"] = x_proof
        if x_username is not None:
            values["x_username"] = x_username[:64]
        t = directory_entries.c
        query = (
            update(directory_entries)
            .where(t.x_id == x_id, t.network == network, t.target == target)
            .values(values)
        )
        async with self.db.begin() as conn:
            return (await conn.execute(query)).rowcount

    async def set_findable(self, user_id: int, findable: bool) -> int:
        """Give or withdraw a user's consent to be found through their links."""
        now = dt.datetime.now(dt.UTC)
        values = {"findable": findable, "withdrawn_at": None if findable else now}
        query = (
            update(directory_entries)
            .where(directory_entries.c.user_id == user_id)
            .values(updated_at=now, **values)
        )
        async with self.db.begin() as conn:
            return (await conn.execute(query)).rowcount

    async def import_csv(
        self,
        text: str,
        *,
        provenance: Provenance = "csv_import",
        detail: str | None = None,
        vouched: bool = False,
    ) -> ImportResult:
        """Import ``x_id, x_username, bluesky, mastodon`` rows, keeping their provenance."""
        entries, problems = parse_directory_csv(
            text, provenance=provenance, detail=detail, vouched=vouched
        )
        now = dt.datetime.now(dt.UTC)
        added = 0
        async with self.db.begin() as conn:
            for entry in entries:
                added += await self._upsert(conn, _row(entry, None, now))
        return ImportResult(added, len(entries) - added, problems)

    # --- reading (DirectoryReader) ---------------------------------------------

    async def entries(self, x_ids: IdsLike) -> dict[int, list[DirectoryEntry]]:
        t = directory_entries.c
        columns = [getattr(t, name) for name in ENTRY_COLUMNS]
        out: dict[int, list[DirectoryEntry]] = {}
        async with self.db.begin() as conn:
            wanted = id_table(conn.dialect.name)
            query = (
                select(*columns)
                .join(wanted, t.x_id == wanted.c.value)
                .where(t.findable.is_(True), t.withdrawn_at.is_(None))
            )
            for chunk in chunks(packed(x_ids)):
                ids = id_param(conn.dialect.name, chunk)
                async with conn.stream(query, ids) as result:  # rows in batches
                    async for rows in result.partitions(ROWS):
                        for row in rows:
                            out.setdefault(int(row.x_id), []).append(_entry(row))
        return out

    async def observations(self, x_ids: IdsLike, names: Iterable[str]) -> Observations:
        o = x_name_observations.c
        result = Observations()
        wanted = {n.lower()[:64] for n in names}
        async with self.db.begin() as conn:
            table = id_table(conn.dialect.name)
            query = select(o.x_id, o.screen_name, o.users).join(table, o.x_id == table.c.value)
            for chunk in chunks(packed(x_ids)):
                ids = id_param(conn.dialect.name, chunk)
                for x_id, name, users in await conn.execute(query, ids):
                    result.names_by_id.setdefault(int(x_id), {})[name] = users
                    wanted.add(name)
            for some in _chunks(sorted(wanted)):
                query = select(o.x_id, o.screen_name, o.users).where(o.screen_name.in_(some))
                for x_id, name, users in await conn.execute(query):
                    result.ids_by_name.setdefault(name, {})[int(x_id)] = users
        return result

    async def count(self) -> int:
        async with self.db.begin() as conn:
            return int(
                (await conn.execute(select(func.count(directory_entries.c.id)))).scalar_one()
            )

    # --- observations ----------------------------------------------------------

    async def refresh_observations(self, x_ids: Sequence[int] | None = None) -> None:
        """Rebuild the aggregate from the users' handle hints (all ids, or these ones).

        Call it after an archive is saved or deleted, with that archive's ids: a user who
        leaves stops counting. Only counts of distinct users are kept. Refreshes take turns
        (a lock): two uploads naming the same account would otherwise both delete, then
        both insert its row.
        """
        h = handle_hints.c
        name = func.lower(h.screen_name)
        aggregate = select(h.x_id, name.label("screen_name"), func.count(h.user_id.distinct()))
        async with self.db.begin() as conn:
            await transaction_lock(conn, OBSERVATIONS_LOCK)
            if x_ids is None:
                await conn.execute(delete(x_name_observations))
                await self._insert_aggregate(conn, aggregate.group_by(h.x_id, name))
                return
            for chunk in _chunks(sorted(set(x_ids))):
                await conn.execute(
                    delete(x_name_observations).where(x_name_observations.c.x_id.in_(chunk))
                )
                query = aggregate.where(h.x_id.in_(chunk)).group_by(h.x_id, name)
                await self._insert_aggregate(conn, query)

    async def _insert_aggregate(self, conn: AsyncConnection, query: Any) -> None:
        rows = [
            {"x_id": x_id, "screen_name": screen_name, "users": users}
            for x_id, screen_name, users in await conn.execute(query)
        ]
        for chunk in _chunks(rows, 20000):
            await conn.execute(insert(x_name_observations), list(chunk))


class DecisionStore:
    """What each user decided about a proposed match, so that nothing is asked twice."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def decide(
        self, user_id: int, x_id: int, network: str, target: str, decision: Decision
    ) -> None:
        d = match_decisions.c
        row = {
            "user_id": user_id,
            "x_id": x_id,
            "network": network,
            "target": target,
            "decision": decision,
            "decided_at": dt.datetime.now(dt.UTC),
        }
        async with self.db.begin() as conn:
            await conn.execute(
                delete(match_decisions).where(
                    d.user_id == user_id, d.x_id == x_id, d.network == network, d.target == target
                )
            )
            await conn.execute(insert(match_decisions).values(row))

    async def load(self, user_id: int) -> Decisions:
        d = match_decisions.c
        query = select(d.x_id, d.network, d.target, d.decision).where(d.user_id == user_id)
        async with self.db.begin() as conn:
            return {
                (int(x_id), network, target): decision
                for x_id, network, target, decision in await conn.execute(query)
            }
