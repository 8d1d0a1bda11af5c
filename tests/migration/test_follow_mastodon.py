"""Mastodon follow jobs: against mastodon-mock (follows, locked → requested, unknown accounts),
and with a fake writer for what the mock cannot show (moved accounts, the 400/day cap)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mastodon import Mastodon

from chatbot.config import Settings
from chatbot.migration.follow import FollowOptions
from chatbot.migration.follow_mastodon import follow_mastodon
from chatbot.migration.jobs import JobRunner
from chatbot.migration.store import JobStore
from chatbot.migration.writers import (
    FollowState,
    MastoAccount,
    MastodonPyFollowWriter,
    Relation,
)
from chatbot.services import Services
from tests.migration.clock_io import ClockIO
from tests.servers.mastodon import MastodonServer


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    services = await Services.start(settings, processes=False)
    yield services
    await services.close()


async def test_follows_on_mastodon_mock(
    mastodon_server: MastodonServer, services: Services
) -> None:
    fresh = await asyncio.to_thread(mastodon_server.dev_user)
    client = Mastodon(access_token=fresh["access_token"], api_base_url=mastodon_server.url,
                      version_check_mode="none", ratelimit_method="throw")  # fmt: skip
    writer = MastodonPyFollowWriter(client)

    async def factory(*_: Any) -> MastodonPyFollowWriter:
        return writer

    runner = JobRunner(services, {}, writer_factory=factory, options=FollowOptions())
    user = await services.users.get_or_create("telegram", "9")
    targets = ["alice", "hermit", "carol@mastodon.example", "dave@fosstodon.example",
               "nobody@nowhere.example"]  # fmt: skip
    job = await runner.submit(user.id, "mastodon", targets)
    await runner.idle()
    log = await runner.store.log_for(job.id)
    statuses = {target: entry.status for target, entry in log.items()}
    assert statuses == {"alice": "followed", "hermit": "requested",
                        "carol@mastodon.example": "followed",
                        "dave@fosstodon.example": "requested",
                        "nobody@nowhere.example": "skipped"}  # fmt: skip
    final = await runner.store.get(job.id)
    assert final is not None and (final.state, final.done, final.skipped) == ("done", 4, 1)
    me = client.me()
    following = {account["acct"] for account in client.account_following(me["id"])}
    assert {"alice", "carol@mastodon.example"} <= following
    again = await runner.submit(user.id, "mastodon", targets)  # nothing is followed twice
    await runner.idle()
    assert (await runner.store.get(again.id)).done == 0  # type: ignore[union-attr]


class FakeWriter:
    def __init__(self) -> None:
        self.requests = 0
        self.followed: list[str] = []

    async def lookup(self, acct: str) -> MastoAccount | None:
        if acct == "old@a.example":
            return MastoAccount("1", acct, MastoAccount("2", "new@b.example"))
        return MastoAccount(str(abs(hash(acct))), acct)

    async def follow(self, account_id: str) -> FollowState:
        self.followed.append(account_id)
        return "followed"

    async def relationships(self, account_ids: list[str]) -> dict[str, Relation]:
        return {}

    async def me(self) -> MastoAccount:
        return MastoAccount("0", "me@a.example")

    def rate_reset(self) -> float | None:
        return None


async def test_moved_accounts_and_the_daily_cap(services: Services) -> None:
    store = JobStore(services.db)
    user = await services.users.get_or_create("telegram", "10")
    targets = ["old@a.example", "x@c.example", "y@c.example"]
    job = await store.create(user.id, "follow_mastodon", {"targets": targets}, 3)
    await store.set_state(job.id, "running")
    io = ClockIO(services.db, now=1_800_000_000.0)  # a real date: the cap counts by UTC day
    writer = FakeWriter()
    assert await follow_mastodon(job, writer, io, FollowOptions(mastodon_daily=2))
    assert writer.followed[0] == "2"  # the account it moved to
    log = await store.log_for(job.id)
    assert log["old@a.example"].uri == "moved:new@b.example"
    assert len(io.slept) >= 1 and 0 < io.slept[0] <= 86401  # the third waited for the next day
