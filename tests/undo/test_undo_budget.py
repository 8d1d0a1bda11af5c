"""The Bluesky undo job on a simulated clock: deletes within the points budget, a record
already gone in a batch, and a pause in the middle (the rules, without a network)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from chatbot.migration.follow import FollowOptions
from chatbot.migration.store import JobStore, LogEntry
from chatbot.migration.writers import BatchResult, WriterError
from chatbot.storage.db import Database
from chatbot.storage.users import UserStore
from chatbot.undo.bluesky import BlueskyUndo
from chatbot.undo.store import UndoStore
from tests.migration.clock_io import ClockIO

ME = "did:plc:me"
FOLLOW = "app.bsky.graph.follow"


class Repo:
    """A PDS repository: applyWrites refuses a whole batch deleting a missing record."""

    did = ME

    def __init__(self, io: ClockIO, uris: list[str]) -> None:
        self.io = io
        self.uris = set(uris)
        self.calls: list[tuple[float, int]] = []  # (time, deletes) of each batch accepted

    async def delete_records(self, uris: list[str]) -> BatchResult:
        if any(uri not in self.uris for uri in uris):
            raise WriterError("http_500", retry=True)
        self.uris -= set(uris)
        self.calls.append((self.io.now(), len(uris)))
        return BatchResult([])

    async def exists(self, uri: str) -> bool:
        return uri in self.uris

    async def records(self, collection: str) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        for _ in ():
            yield "", {}


async def test_deletes_stay_within_the_budget_and_a_gone_record_counts_as_done(
    database: Database,
) -> None:
    user = await UserStore(database).get_or_create("telegram", "b")
    jobs = JobStore(database)
    made = await jobs.create(user.id, "follow_bluesky", {}, 450)
    uris = [f"at://{ME}/{FOLLOW}/{n:05d}" for n in range(450)]
    await jobs.record(made, [LogEntry(f"did:plc:{n}", "followed", u) for n, u in enumerate(uris)],
                      {})  # fmt: skip
    io = ClockIO(database, now=1_800_000_000.0)
    repo = Repo(io, uris)
    repo.uris.discard(uris[7])  # the user unfollowed this one themselves
    job = await jobs.create(user.id, "undo_bluesky", {"kinds": ["follows"]}, 450)
    await jobs.set_state(job.id, "running")
    job = await jobs.get(job.id) or job
    options = FollowOptions(headroom=0.8, hour_points=300, batch_size=200, pace=False)
    assert await BlueskyUndo(job, repo, io, options, UndoStore(database)).run()  # type: ignore[arg-type]
    final = await jobs.get(job.id)
    assert final is not None and (final.done, final.failed) == (450, 0)
    assert not repo.uris, "every follow deleted"
    assert sum(n for _, n in repo.calls) == 449  # the gone one was never sent again
    start = repo.calls[0][0]
    first_hour = sum(n for at, n in repo.calls if at < start + 3600)
    assert first_hour <= 240, "1 point a delete, within 80 % of 300 points an hour"
    assert max(io.slept) >= 3000, "then it waited for the next hour"
