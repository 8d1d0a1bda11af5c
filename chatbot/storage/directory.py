"""The X-id directory, the aggregated id -> screen name observations, and match decisions.

`DirectoryStore` implements `chatbot.matching.directory.DirectoryReader` over SQL. The ids
of an archive are joined in bulk (`chatbot.storage.bulk`: a packed chunk per statement, so
2,200,000 followers cost a few statements, see bench/bench_scale.py).

Each row belongs to one source (`source_key`: the user who linked it, the organisation, the
import): saving, proving and withdrawing touch that source's rows only. An organisation's
vouch is read with its approval (`vouched_by`), so revoking or deleting the organisation
takes it back at once. The observations (`chatbot.storage.observations`) count only the
archives that may corroborate.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from chatbot.archive.idlist import packed
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
from chatbot.safetext import clean, x_screen_name
from chatbot.storage.bulk import CHUNK_IDS, id_param, id_table
from chatbot.storage.chunks import chunks
from chatbot.storage.db import Database
from chatbot.storage.limits import fit_entry
from chatbot.storage.observations import ObservationStore, utc_now
from chatbot.storage.schema import (
    directory_entries,
    match_decisions,
    organisations,
)

if TYPE_CHECKING:
    from chatbot.archive.idlist import IdsLike

ROWS = 2000  # rows fetched at a time by the bulk lookups
ENTRY_COLUMNS = (  # what a DirectoryEntry holds (`_entry`)
    "x_id", "x_username", "network", "handle", "did", "acct", "provenance",
    "provenance_detail", "new_account_proof", "x_proof", "findable", "withdrawn_at",
)  # fmt: skip


def source_key(user_id: int | None, detail: str | None) -> str:
    """Which source a row belongs to: its user (if any) and its provenance detail."""
    return f"{'' if user_id is None else user_id}|{detail or ''}"


def _row(entry: DirectoryEntry, user_id: int | None, now: dt.datetime) -> dict[str, Any]:
    """The row of a checked entry (`chatbot.storage.limits.fit_entry`)."""
    return {
        "x_id": entry.x_id,
        "x_username": entry.x_username,
        "network": entry.network,
        "target": entry.target,
        "handle": entry.handle,
        "did": entry.did,
        "acct": entry.acct,
        "provenance": entry.provenance,
        "provenance_detail": entry.provenance_detail,
        "user_id": user_id,
        "source_key": source_key(user_id, entry.provenance_detail),
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
    def __init__(self, db: Database, *, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self.db = db
        self.clock = clock  # when observers come of age (tests move it)

    # --- writing ---------------------------------------------------------------

    async def save(self, entry: DirectoryEntry, *, user_id: int | None = None) -> bool:
        """Insert or update this source's link (same x_id, network, target, provenance,
        user and detail). True if new; False too when it cannot be stored (see `fit_entry`)."""
        fitted = fit_entry(entry)
        if fitted is None:
            return False
        row = _row(fitted, user_id, dt.datetime.now(dt.UTC))
        async with self.db.begin() as conn:
            return await self._upsert(conn, row)

    async def _upsert(self, conn: AsyncConnection, row: dict[str, Any]) -> bool:
        t = directory_entries.c
        key = and_(
            t.x_id == row["x_id"],
            t.network == row["network"],
            t.target == row["target"],
            t.provenance == row["provenance"],
            t.source_key == row["source_key"],
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
        fitted = [e for e in map(fit_entry, entries) if e is not None]
        async with self.db.begin() as conn:
            for chunk in chunks(fitted, 20000):
                await conn.execute(insert(directory_entries), [_row(e, None, now) for e in chunk])

    async def set_proofs(
        self,
        user_id: int,
        x_id: int,
        network: str,
        target: str,
        *,
        new_account_proof: NewAccountProof | None = None,
        x_proof: XProof | None = None,
        x_username: str | None = None,
    ) -> int:
        """Record a proof the bot checked (`chatbot.matching.proofs`) on the one row it was
        made for: this user's own link to `target`. No other row changes (threat model
        §4.2 D3), whatever source shares its X id and account."""
        values: dict[str, Any] = {"updated_at": dt.datetime.now(dt.UTC)}
        if new_account_proof is not None:
            values["new_account_proof"] = new_account_proof
        if x_proof is not None:
            values["x_proof"] = x_proof
        if x_username is not None:
            values["x_username"] = x_screen_name(x_username)
        t = directory_entries.c
        query = (
            update(directory_entries)
            .where(
                t.user_id == user_id,
                t.provenance == "user_link",
                t.source_key == source_key(user_id, None),
                t.x_id == x_id,
                t.network == network,
                t.target == target,
            )
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
        added = saved = 0
        async with self.db.begin() as conn:
            for entry in map(fit_entry, entries):
                if entry is not None:
                    saved += 1
                    added += await self._upsert(conn, _row(entry, None, now))
        return ImportResult(added, saved - added, problems)

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
            for chunk in chunks(packed(x_ids), CHUNK_IDS):
                ids = id_param(conn.dialect.name, chunk)
                async with conn.stream(query, ids) as result:  # rows in batches
                    async for rows in result.partitions(ROWS):
                        for row in rows:
                            out.setdefault(int(row.x_id), []).append(_entry(row))
            return await _with_vouches(conn, out)

    async def observations(self, x_ids: IdsLike, names: Iterable[str]) -> Observations:
        """What the archives that may corroborate say (`ObservationStore.read`)."""
        return await ObservationStore(self.db, clock=self.clock).read(x_ids, names)

    async def count(self) -> int:
        async with self.db.begin() as conn:
            return int(
                (await conn.execute(select(func.count(directory_entries.c.id)))).scalar_one()
            )

    # --- observations ----------------------------------------------------------

    async def refresh_observations(self, x_ids: Sequence[int] | None = None) -> None:
        """Rebuild the aggregate of these ids (all without), after an archive is saved or
        deleted, with that archive's ids (`ObservationStore.refresh`)."""
        await ObservationStore(self.db, clock=self.clock).refresh(x_ids)


async def _with_vouches(
    conn: AsyncConnection, found: dict[int, list[DirectoryEntry]]
) -> dict[int, list[DirectoryEntry]]:
    """Name the organisation behind each vouch when the bot's administrators approved it
    (and it was not removed): its vouch counts only then (`spoofing.approved_vouch`)."""
    org_ids = {
        int(entry.provenance_detail.removeprefix("org:"))
        for entries in found.values()
        for entry in entries
        if entry.x_proof == "org_vouch"
        and entry.provenance_detail
        and entry.provenance_detail.removeprefix("org:").isdigit()
    }
    if not org_ids:
        return found
    o = organisations.c
    names: dict[str, str] = {}
    for chunk in chunks(sorted(org_ids)):
        query = select(o.id, o.name).where(
            o.id.in_(chunk), o.approved_at.is_not(None), o.removed_at.is_(None)
        )
        names.update(
            {f"org:{org_id}": clean(name, 200) for org_id, name in await conn.execute(query)}
        )
    for x_id, entries in found.items():
        found[x_id] = [
            replace(entry, vouched_by=names.get(entry.provenance_detail or ""))
            if entry.x_proof == "org_vouch"
            else entry
            for entry in entries
        ]
    return found


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
