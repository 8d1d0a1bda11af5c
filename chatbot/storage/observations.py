"""What users' archives say about X ids: which screen name, by how many distinct users.

An aggregate (`x_name_observations`) rebuilt from the users' handle hints, counting only the
archives that may corroborate (threat model §4.2 D2, D5): an archive never counts for the
id its own ``account.js`` claims, and a chat account younger than `OBSERVER_MIN_AGE` not
yet. `young_since` keeps the oldest of those not counted, and a read refreshes the rows
whose observers have come of age since. Only counts are kept: it never names a user.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, case, cast, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from chatbot.archive.idlist import packed
from chatbot.matching.model import Observations
from chatbot.matching.spoofing import OBSERVER_MIN_AGE
from chatbot.storage.bulk import CHUNK_IDS, id_param, id_table
from chatbot.storage.chunks import chunks
from chatbot.storage.db import OBSERVATIONS_LOCK, Database, transaction_lock
from chatbot.storage.schema import archives, handle_hints, users, x_name_observations

if TYPE_CHECKING:
    from chatbot.archive.idlist import Ids, IdsLike


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ObservationStore:
    def __init__(self, db: Database, *, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self.db = db
        self.clock = clock  # when observers come of age (tests move it)

    async def read(self, x_ids: IdsLike, names: Iterable[str]) -> Observations:
        """What the archives that may corroborate say about these ids and names. Rows
        waiting for observers who have come of age since are refreshed first. The ids (an
        archive's millions) are joined in bulk (`chatbot.storage.bulk`)."""
        unique = packed(x_ids)
        wanted = {n.lower()[:64] for n in names}
        result, due = await self._read_observations(unique, wanted)
        if due:
            await self.refresh(sorted(due))
            result, _ = await self._read_observations(unique, wanted)
        return result

    async def _read_observations(
        self, x_ids: Ids, wanted: set[str]
    ) -> tuple[Observations, set[int]]:
        o = x_name_observations.c
        columns = (o.x_id, o.screen_name, o.users, o.young_since)
        matured = self.clock() - OBSERVER_MIN_AGE
        result, due = Observations(), set()
        names = set(wanted)
        async with self.db.begin() as conn:
            table = id_table(conn.dialect.name)
            by_id = select(*columns).join(table, o.x_id == table.c.value)
            for chunk in chunks(x_ids, CHUNK_IDS):
                ids = id_param(conn.dialect.name, chunk)
                for x_id, name, count, young in await conn.execute(by_id, ids):
                    if young is not None and young <= matured:
                        due.add(int(x_id))
                    if count > 0:
                        result.names_by_id.setdefault(int(x_id), {})[name] = count
                        names.add(name)
            for some in chunks(sorted(names)):
                query = select(*columns).where(o.screen_name.in_(some))
                for x_id, name, count, young in await conn.execute(query):
                    if young is not None and young <= matured:
                        due.add(int(x_id))
                    if count > 0:
                        result.ids_by_name.setdefault(name, {})[int(x_id)] = count
        return result, due

    async def refresh(self, x_ids: Sequence[int] | None = None) -> None:
        """Rebuild the aggregate from the users' handle hints (all ids, or these ones).

        Call it after an archive is saved or deleted, with that archive's ids: a user who
        leaves stops counting. Only counts of distinct users are kept, of the observers that
        may corroborate: an archive never counts for the id its own account.js claims, and
        a chat account younger than `OBSERVER_MIN_AGE` not yet (`young_since` keeps the
        oldest of those, so that the row is refreshed when they come of age). Refreshes take
        turns (a lock): two uploads naming the same account would otherwise both delete,
        then both insert its row.
        """
        h, u, a = handle_hints.c, users.c, archives.c
        cutoff = self.clock() - OBSERVER_MIN_AGE
        name = func.lower(h.screen_name)
        old_enough = u.created_at <= cutoff
        aggregate = (
            select(
                h.x_id,
                name.label("screen_name"),
                func.count(case((old_enough, h.user_id)).distinct()),
                func.min(case((u.created_at > cutoff, u.created_at))),
            )
            .select_from(
                handle_hints.join(users, u.id == h.user_id).outerjoin(
                    archives, a.user_id == h.user_id
                )
            )
            .where(
                or_(
                    a.owner_account_id.is_(None),
                    a.owner_account_id != cast(h.x_id, String),
                )
            )
        )
        async with self.db.begin() as conn:
            await transaction_lock(conn, OBSERVATIONS_LOCK)
            if x_ids is None:
                await conn.execute(delete(x_name_observations))
                await self._insert_aggregate(conn, aggregate.group_by(h.x_id, name))
                return
            for chunk in chunks(sorted(set(x_ids))):
                await conn.execute(
                    delete(x_name_observations).where(x_name_observations.c.x_id.in_(chunk))
                )
                query = aggregate.where(h.x_id.in_(chunk)).group_by(h.x_id, name)
                await self._insert_aggregate(conn, query)

    async def _insert_aggregate(self, conn: AsyncConnection, query: Any) -> None:
        rows = [
            {"x_id": x_id, "screen_name": screen_name, "users": users, "young_since": young}
            for x_id, screen_name, users, young in await conn.execute(query)
        ]
        for chunk in chunks(rows, 20000):
            await conn.execute(insert(x_name_observations), list(chunk))
