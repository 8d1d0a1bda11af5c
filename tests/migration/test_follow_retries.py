"""A batch answered by a 5xx after the server wrote it is not sent again (no duplicate)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

import chatbot.migration.follow
from chatbot.config import Settings
from chatbot.migration.follow import FollowOptions
from chatbot.migration.jobs import JobRunner
from chatbot.migration.writers import BatchResult, WriterError
from chatbot.services import Services


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    services = await Services.start(settings, processes=False)
    yield services
    await services.close()


class LandingWriter:
    """A PDS behind a gateway: the first `failures` writes land, yet answer 504."""

    def __init__(self, failures: int) -> None:
        self.requests = 0
        self.failures = failures
        self.records: list[str] = []  # one per follow record, duplicates included

    async def existing_follows(self) -> dict[str, str]:
        return {did: f"at://did:plc:me/app.bsky.graph.follow/{n}"
                for n, did in enumerate(self.records)}  # fmt: skip

    async def create_follows(self, subjects: list[str]) -> BatchResult:
        self.requests += 1
        self.records += subjects
        if self.failures > 0:
            self.failures -= 1
            raise WriterError("http_504", retry=True)
        return BatchResult([f"at://did:plc:me/app.bsky.graph.follow/{s}" for s in subjects])


@pytest.mark.parametrize("failures", [1, 3])
async def test_a_batch_written_before_a_504_is_logged_not_resent(
    services: Services, monkeypatch: pytest.MonkeyPatch, failures: int
) -> None:
    monkeypatch.setattr(chatbot.migration.follow, "RETRY_S", (0.01, 0.01, 0.01, 0.01))
    writer = LandingWriter(failures)

    async def factory(*_: Any) -> LandingWriter:
        return writer

    runner = JobRunner(services, writer_factory=factory,
                       options=FollowOptions(batch_size=10, pace=False))  # fmt: skip
    user = await services.users.get_or_create("telegram", "1")
    targets = [f"did:plc:{n:024d}" for n in range(35)]
    job = await runner.submit(user.id, "bluesky", targets)
    await runner.idle()
    final = await runner.store.get(job.id)
    assert final is not None and (final.state, final.done, final.failed) == ("done", 35, 0)
    assert sorted(writer.records) == sorted(targets)  # each target written once
    assert writer.requests == 4  # 4 batches, none sent twice
