"""A job's I/O on a simulated clock: sleeping only moves the clock (tests of job rules)."""

from __future__ import annotations

from chatbot.migration.budget_store import BudgetStore
from chatbot.migration.store import Job, JobStore
from chatbot.storage.db import Database


class ClockIO:
    """`chatbot.migration.follow.JobIO` without waiting; `slept` lists every wait."""

    def __init__(self, db: Database, now: float) -> None:
        self.store = JobStore(db)
        self.budgets = BudgetStore(db)
        self.clock = now
        self.slept: list[float] = []

    def now(self) -> float:
        return self.clock

    async def sleep(self, job: Job, seconds: float) -> bool:
        self.slept.append(seconds)
        self.clock += seconds
        return True

    async def active(self, job: Job) -> bool:
        return True

    async def report(self, job: Job) -> None:
        return None
