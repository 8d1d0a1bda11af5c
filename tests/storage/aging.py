"""Chat accounts made older than they are: their archives then corroborate (threat model D5).

The directory counts an archive among the observers of an X id only once its chat account
is `OBSERVER_MIN_AGE` old; tests of the genuine paths age their observers with `age_users`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import update

from chatbot.matching.spoofing import OBSERVER_MIN_AGE
from chatbot.storage.db import Database
from chatbot.storage.schema import users


async def age_users(db: Database, user_ids: Iterable[int]) -> None:
    """Make these users' chat accounts old enough for their archives to count."""
    created = dt.datetime.now(dt.UTC) - OBSERVER_MIN_AGE - dt.timedelta(days=1)
    async with db.begin() as conn:
        await conn.execute(
            update(users).where(users.c.id.in_(list(user_ids))).values(created_at=created)
        )
