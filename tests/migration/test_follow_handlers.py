"""/follow, /status, /pause, /resume, /cancel through the real dispatcher (fake network writer)."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.matching.model import Match
from chatbot.migration.follow import FollowOptions
from chatbot.migration.jobs import JobRunner
from chatbot.migration.writers import BatchResult, WriterError
from chatbot.platforms.base import Document, RecordingPlatform, Text
from chatbot.services import Services
from handlers import build_registry
from handlers.follow import choose
from tests.conversation.harness import Chat, start_follow, texts
from tests.orgs.conftest import GroupPlatform


class GatedWriter:
    def __init__(self) -> None:
        self.requests = 0
        self.gate = asyncio.Event()
        self.sent: list[str] = []

    async def existing_follows(self) -> dict[str, str]:
        return {}

    async def create_follows(self, subjects: list[str]) -> BatchResult:
        await self.gate.wait()
        self.sent += subjects
        return BatchResult([f"at://did:plc:me/app.bsky.graph.follow/{s[-4:]}" for s in subjects])


def match(did: str, tier: str, *, confirmed: bool = False, direction: str = "following") -> Match:
    return Match(1, "x", "bluesky", f"{did[-4:]}.test", did, None, tier, (), direction,  # type: ignore[arg-type]
                 confirmed)  # fmt: skip


MATCHES = [
    match("did:plc:aaaa", "verified"),
    match("did:plc:bbbb", "likely", confirmed=True),
    match("did:plc:cccc", "likely"),
    match("did:plc:dddd", "verified", direction="follower"),
]


def test_choose_eligible_or_a_tier() -> None:
    assert choose(MATCHES, "bluesky", None) == ["did:plc:aaaa", "did:plc:bbbb"]
    assert choose(MATCHES, "bluesky", "verified") == ["did:plc:aaaa"]
    assert choose(MATCHES, "bluesky", "likely") == ["did:plc:aaaa", "did:plc:bbbb", "did:plc:cccc"]
    assert choose(MATCHES, "mastodon", None) == []


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    services = await Services.start(settings, processes=False)
    yield services
    await services.close()


async def test_follow_status_pause_resume_cancel(services: Services) -> None:
    writer = GatedWriter()
    connected = {"yes": False}

    async def factory(*_: Any) -> GatedWriter | None:
        return writer if connected["yes"] else None

    options = FollowOptions(batch_size=1, pace=False)
    services.follow_jobs = JobRunner(services, writer_factory=factory, options=options,
                                     report_interval_s=0)  # fmt: skip
    platform = RecordingPlatform(name="telegram")
    chat = Chat(Dispatcher(services, build_registry()), platform)
    assert "/follow bluesky" in texts(await chat.say("/follow"))
    assert "no follow job" in texts(await chat.say("/status"))
    user = await services.users.get_or_create("telegram", "alice")
    services.match_cache[user.id] = (time.monotonic(), MATCHES)
    assert "/connect bluesky" in texts(await chat.say("/follow bluesky"))
    connected["yes"] = True
    assert "following 2 accounts on Bluesky" in texts(await start_follow(chat, "/follow bluesky"))
    assert "already under way" in texts(await chat.say("/follow bluesky"))
    await asyncio.sleep(0.05)
    assert "following…" in texts(await chat.say("/status"))
    assert "Paused" in texts(await chat.say("/pause"))
    writer.gate.set()
    await services.follow_jobs.idle()
    shown = texts(await chat.say("/status"))
    assert "paused at 50%" in shown and "1 followed" in shown
    assert "Resumed" in texts(await chat.say("/resume"))
    await services.follow_jobs.idle()
    assert "finished" in texts(chat.new_replies()) or "finished" in texts(
        await chat.say("/status")
    )
    assert writer.sent == ["did:plc:aaaa", "did:plc:bbbb"]
    assert "no follow job under way" in texts(await chat.say("/cancel"))


async def test_cancel_stops_a_job_and_french(services: Services) -> None:
    writer = GatedWriter()

    async def factory(*_: Any) -> GatedWriter:
        return writer

    services.follow_jobs = JobRunner(services, writer_factory=factory,
                                     options=FollowOptions(batch_size=1, pace=False))  # fmt: skip
    chat = Chat(Dispatcher(services, build_registry()), RecordingPlatform(name="telegram"),
                language_hint="fr")  # fmt: skip
    await chat.say("/status")
    user = await services.users.get_or_create("telegram", "alice")
    services.match_cache[user.id] = (time.monotonic(), MATCHES)
    assert "Je m’abonne à 2 comptes" in texts(await start_follow(chat, "/follow bluesky"))
    assert "Annulé" in texts(await chat.say("/cancel"))
    writer.gate.set()
    await services.follow_jobs.idle()
    job = await services.follow_jobs.store.latest(user.id)
    assert job is not None and job.state == "cancelled" and len(writer.sent) <= 1


async def test_a_server_that_does_not_answer_pauses_the_job(services: Services) -> None:
    """The account's server is down when the job starts: paused and said, then /resume."""
    writer = GatedWriter()
    writer.gate.set()
    down = {"yes": False}

    async def factory(*_: Any) -> GatedWriter:
        if down["yes"]:
            raise WriterError("unavailable")
        down["yes"] = True  # up when /follow checks the connection, down when the job starts
        return writer

    services.follow_jobs = JobRunner(services, writer_factory=factory, report_interval_s=0,
                                     options=FollowOptions(batch_size=1, pace=False))  # fmt: skip
    platform = RecordingPlatform(name="telegram")
    chat = Chat(Dispatcher(services, build_registry()), platform)
    await chat.say("/status")
    user = await services.users.get_or_create("telegram", "alice")
    services.match_cache[user.id] = (time.monotonic(), MATCHES)
    await start_follow(chat, "/follow bluesky")
    await services.follow_jobs.idle()
    shown = texts(r for _, r in platform.sent) + "\n".join(e.text for _, e in platform.edits)
    assert "did not answer" in shown and "/resume" in shown
    job = await services.follow_jobs.store.latest(user.id)
    assert job is not None and job.state == "paused"
    down["yes"] = False
    assert "Resumed" in texts(await chat.say("/resume"))
    await services.follow_jobs.idle()
    assert writer.sent == ["did:plc:aaaa", "did:plc:bbbb"]


async def test_nothing_is_followed_before_the_user_saw_the_list(
    services: Services,
) -> None:
    """Item 10b: /follow shows the count, the first ten and the whole list as a file; the
    job starts on "Start" only, and only for the list that was shown."""
    writer = GatedWriter()
    writer.gate.set()

    async def factory(*_: Any) -> GatedWriter:
        return writer

    services.follow_jobs = JobRunner(services, writer_factory=factory,
                                     options=FollowOptions(batch_size=50, pace=False))  # fmt: skip
    platform = GroupPlatform(name="telegram")  # keeps the files' bytes
    chat = Chat(Dispatcher(services, build_registry()), platform)
    user = await services.users.get_or_create("telegram", "alice")
    many = [match(f"did:plc:{n:04d}", "verified") for n in range(12)]
    services.match_cache[user.id] = (time.monotonic(), many)

    replies = await chat.say("/follow bluesky")
    shown = texts(replies)
    assert "I will follow 12 accounts on Bluesky:" in shown
    assert shown.count("• [verified] Bluesky:") == 10 and "…and 2 more" in shown
    [listing] = [r for r in replies if isinstance(r, Document)]
    assert listing.name == "follow-bluesky.csv"
    rows = list(csv.reader(io.StringIO(platform.files[listing.name].decode("utf-8-sig"))))
    assert len(rows) == 1 + 12
    assert await services.follow_jobs.store.for_user(user.id) == []  # nothing started yet
    [start] = [b.data for r in replies if isinstance(r, Text) for row in r.buttons for b in row
               if b.data.startswith("fw:go:")]  # fmt: skip
    assert "Nothing followed" in texts(await chat.press("fw:no"))

    services.match_cache[user.id] = (time.monotonic(), many[:11])  # the matches changed
    said = texts(await chat.press(start))
    assert "changed" in said and "I will follow 11 accounts" in said
    assert await services.follow_jobs.store.for_user(user.id) == []

    services.match_cache[user.id] = (time.monotonic(), many)
    assert "following 12 accounts" in texts(await chat.press(start))
    await services.follow_jobs.idle()
    assert sorted(writer.sent) == sorted(m.did for m in many if m.did)
