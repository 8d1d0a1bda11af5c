"""Each account's Bluesky points budget, kept in the database and shared by every job.

Follows and post imports write to the same repository, and the PDS counts their points
together (platform-limits §3.1), so the budget state (`PointsBudget.state()`) is stored
per (user, network) rather than per job: a post import that starts right after a follow
job knows the points that job already spent this hour and this day.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from chatbot.migration.store import utc_now
from chatbot.storage.db import Database
from chatbot.storage.schema import rate_budgets


class BudgetStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def load(self, user_id: int, network: str) -> dict[str, Any] | None:
        query = select(rate_budgets.c.state).where(
            rate_budgets.c.user_id == user_id, rate_budgets.c.network == network
        )
        async with self.db.begin() as conn:
            state = (await conn.execute(query)).scalar_one_or_none()
        return dict(state) if state else None

    async def save(self, user_id: int, network: str, state: dict[str, Any]) -> None:
        now = utc_now()
        maker = sqlite_insert if self.db.is_sqlite else pg_insert
        statement = maker(rate_budgets).values(
            user_id=user_id, network=network, state=state, updated_at=now
        )
        statement = statement.on_conflict_do_update(
            index_elements=["user_id", "network"], set_={"state": state, "updated_at": now}
        )
        async with self.db.begin() as conn:
            await conn.execute(statement)

    async def forget(self, user_id: int) -> None:
        async with self.db.begin() as conn:
            await conn.execute(delete(rate_budgets).where(rate_budgets.c.user_id == user_id))
