"""Per-user budgets and pacing of the lookups matching sends to remote services.

Threat-model §4.6: an archive that names thousands of screen names once each turned into
15,400 AppView requests, all drawn from the one rate budget every user shares. A matching
run now carries a `LookupBudget` (in a context variable, so every task the run starts sees
it); `RateLimitedClient` charges it before each request it sends (cache hits are free):

- at most ``CHATBOT_LOOKUPS_PER_ARCHIVE`` requests per remote service per run, and what is
  left of ``CHATBOT_LOOKUPS_PER_DAY`` for that user (kept in ``rate_budgets``);
- paced at ``CHATBOT_LOOKUPS_PER_SECOND`` per user and service, so one user's burst takes
  a fixed share of the shared budget and cannot drive the service into rate limiting the
  others (their requests interleave at full speed).

Over budget, the lookup is skipped (`LookupCapped`, never a network failure): the run keeps
what it found, says which services were capped, and the rest is looked up by a later
/match (what was looked up is cached and costs nothing the next time).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatbot.services import Services

SERVICES = ("bluesky", "mastodon", "threads")
_STATE_KEY = "lookups"  # rate_budgets.network of this budget


class LookupCapped(Exception):
    """This user's lookup budget for `network` is spent: skip, do not fail."""

    def __init__(self, network: str) -> None:
        super().__init__(network)
        self.network = network


@dataclass
class LookupBudget:
    per_run: int
    per_second: float
    room: dict[str, int] = field(default_factory=dict)  # left today, per service
    spent: Counter[str] = field(default_factory=Counter)
    capped: set[str] = field(default_factory=set)
    skipped: set[str] = field(default_factory=set)  # did not answer; the run went on without
    _next: dict[str, float] = field(default_factory=dict)

    def limit(self, network: str) -> int:
        return min(self.per_run, self.room.get(network, self.per_run))

    async def take(self, network: str) -> None:
        """Count one request to `network`, after this user's pace allows it."""
        if self.spent[network] >= self.limit(network):
            self.capped.add(network)
            raise LookupCapped(network)
        self.spent[network] += 1
        now = time.monotonic()
        slot = max(now, self._next.get(network, 0.0))
        self._next[network] = slot + 1.0 / self.per_second
        if slot > now:
            await asyncio.sleep(slot - now)


_current: ContextVar[LookupBudget | None] = ContextVar("lookup_budget", default=None)


@contextmanager
def metered(budget: LookupBudget) -> Iterator[LookupBudget]:
    """Charge every request made in this context (and the tasks it starts) to `budget`."""
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


async def charge(network: str) -> None:
    """Called before each request a reader sends; free outside a metered run."""
    budget = _current.get()
    if budget is not None:
        await budget.take(network)


def not_searched(network: str) -> None:
    """Lookups on `network` were left out of this run (a service that does not answer and
    that the run can do without, such as Threads): the user is told to try again later."""
    budget = _current.get()
    if budget is not None:
        budget.skipped.add(network)


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


async def start(services: Services, user_id: int) -> LookupBudget:
    """The budget of one matching run: the per-run cap within what is left today."""
    from chatbot.migration.budget_store import BudgetStore

    settings = services.settings
    state = await BudgetStore(services.db).load(user_id, _STATE_KEY) or {}
    used = state.get("spent", {}) if state.get("day") == _today() else {}
    room = {n: max(0, settings.lookups_per_day - int(used.get(n, 0))) for n in SERVICES}
    return LookupBudget(
        per_run=settings.lookups_per_archive, per_second=settings.lookups_per_second, room=room
    )


async def finish(services: Services, user_id: int, budget: LookupBudget) -> None:
    """Add what the run spent to the user's count for today."""
    from chatbot.migration.budget_store import BudgetStore

    if not budget.spent:
        return
    store = BudgetStore(services.db)
    state = await store.load(user_id, _STATE_KEY) or {}
    used = dict(state.get("spent", {})) if state.get("day") == _today() else {}
    for network, count in budget.spent.items():
        used[network] = int(used.get(network, 0)) + count
    await store.save(user_id, _STATE_KEY, {"day": _today(), "spent": used})
