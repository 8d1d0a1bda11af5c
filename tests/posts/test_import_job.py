"""The import job's rules with a stand-in writer: budget shared with follows, a crash
between the write and the log, refused posts, media embeds, rate limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from chatbot.config import Settings
from chatbot.migration.budget import PointsBudget
from chatbot.migration.follow import FollowOptions
from chatbot.migration.store import Job, JobStore
from chatbot.migration.writers import RateLimitedError, WriterError
from chatbot.posts.job import import_posts, record_key
from chatbot.posts.prepare import PreparedPost
from chatbot.posts.store import PostStore
from chatbot.posts.writer import PostRef
from chatbot.services import Services
from tests.migration.clock_io import ClockIO

NOW = 1_800_000_000.0


class Crash(Exception):
    """The process dies right after the server wrote the post."""


class FakeWriter:
    def __init__(self) -> None:
        self.requests = 0
        self.posts: dict[str, dict[str, Any]] = {}
        self.refuse: set[str] = set()  # texts the server refuses
        self.crash_after: int | None = None  # crash once, after this many posts
        self.rate_limited_once = False
        self.uploads: list[str] = []

    async def upload(self, data: bytes, mime: str) -> dict[str, Any]:
        self.uploads.append(mime)
        return {"$type": "blob", "ref": {"$link": f"bafy{len(self.uploads)}"},
                "mimeType": mime, "size": len(data)}  # fmt: skip

    async def create_post(self, rkey: str, record: dict[str, Any]) -> PostRef:
        if self.rate_limited_once:
            self.rate_limited_once = False
            raise RateLimitedError({"ratelimit-limit": "5000", "ratelimit-remaining": "0",
                                    "ratelimit-reset": "120"})  # fmt: skip
        if record["text"] in self.refuse:
            raise WriterError("http_400_InvalidRecord")
        if rkey in self.posts:
            raise WriterError("http_400_InvalidRequest")  # the key is taken
        self.posts[rkey] = record
        if self.crash_after is not None and len(self.posts) >= self.crash_after:
            self.crash_after = None
            raise Crash()
        return PostRef(f"at://did:plc:me/app.bsky.feed.post/{rkey}", f"cid-{rkey}")

    async def get_post(self, rkey: str) -> PostRef | None:
        if rkey not in self.posts:
            return None
        return PostRef(f"at://did:plc:me/app.bsky.feed.post/{rkey}", f"cid-{rkey}")


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    services = await Services.start(settings, processes=False)
    yield services
    await services.close()


def item(seq: int, tweet_id: int, text: str, *, parent: int | None = None, root: int | None = None,
         parts: int = 1, media: list[dict[str, Any]] | None = None) -> PreparedPost:  # fmt: skip
    return PreparedPost(
        tweet_id=tweet_id,
        seq=seq,
        root_id=root or tweet_id,
        parent_id=parent,
        created_at=dt.datetime(2021, 5, 1, 12, 0, seq, tzinfo=dt.UTC),
        parts=[{"text": f"{text} {n}" if parts > 1 else text, "facets": []} for n in range(parts)],
        media=media or [],
        langs=["fr"],
    )


async def setup(services: Services, items: list[PreparedPost]) -> tuple[Job, PostStore, Path]:
    user = await services.users.get_or_create("telegram", "1")
    posts = PostStore(services.db)
    await posts.replace(user.id, items)
    job = await JobStore(services.db).create(user.id, "import_bluesky", {}, len(items))
    await JobStore(services.db).set_state(job.id, "running")
    return job, posts, services.settings.data_dir / "media"


OPTIONS = FollowOptions(pace=False)


async def test_threads_media_and_a_refused_post(services: Services) -> None:
    media = services.settings.data_dir / "media"
    media.mkdir()
    (media / "v.mp4").write_bytes(b"\0\0\0\x18ftypisom")
    (media / "a.jpg").write_bytes(b"jpeg")
    items = [
        item(0, 10, "first", media=[{"file": "v.mp4", "kind": "video", "mime": "video/mp4"}]),
        item(1, 11, "second", parent=10, root=10, parts=2),
        item(2, 12, "refused", parent=11, root=10),
        item(3, 13, "orphan", parent=12, root=10),  # its parent was refused: a new thread
        item(
            4,
            20,
            "pictures",
            media=[
                {"file": "a.jpg", "kind": "image", "mime": "image/jpeg", "width": 4, "height": 3}
            ],
        ),
    ]
    job, posts, _ = await setup(services, items)
    writer, io = FakeWriter(), ClockIO(services.db, NOW)
    writer.refuse.add("refused")
    assert await import_posts(job, writer, io, OPTIONS, posts, media)
    final = await io.store.get(job.id)
    assert final is not None and (final.done, final.skipped, final.failed) == (4, 0, 1)
    by_text = {record["text"]: record for record in writer.posts.values()}
    assert by_text["first"]["embed"]["$type"] == "app.bsky.embed.video"
    assert by_text["first"]["createdAt"] == "2021-05-01T12:00:00.000Z"
    assert by_text["first"]["langs"] == ["fr"]
    first_uri = f"at://did:plc:me/app.bsky.feed.post/{record_key(items[0], 0)}"
    assert by_text["second 0"]["reply"]["parent"]["uri"] == first_uri
    assert by_text["second 1"]["reply"]["root"]["uri"] == first_uri
    assert by_text["second 1"]["createdAt"] == "2021-05-01T12:00:02.000Z"  # one second later
    assert "reply" not in by_text["orphan"]
    image = by_text["pictures"]["embed"]["images"][0]
    assert image["aspectRatio"] == {"width": 4, "height": 3} and image["alt"] == ""
    assert writer.uploads == ["video/mp4", "image/jpeg"]


async def test_a_crash_between_the_write_and_the_log_posts_nothing_twice(
    services: Services,
) -> None:
    items = [item(n, 100 + n, f"post {n}") for n in range(5)]
    job, posts, media = await setup(services, items)
    writer, io = FakeWriter(), ClockIO(services.db, NOW)
    writer.crash_after = 3
    with pytest.raises(Crash):
        await import_posts(job, writer, io, OPTIONS, posts, media)
    assert len(writer.posts) == 3 and len(await posts.posted(job.user_id)) == 2
    resumed = await io.store.get(job.id)
    assert resumed is not None and resumed.checkpoint["inflight"] == [102, 0]
    assert await import_posts(resumed, writer, io, OPTIONS, posts, media)
    assert len(writer.posts) == 5  # the third post was found, not sent again
    final = await io.store.get(job.id)
    assert final is not None and (final.done, final.failed) == (5, 0)


async def test_the_points_budget_is_shared_with_follows(services: Services) -> None:
    items = [item(n, 200 + n, f"post {n}") for n in range(3)]
    job, posts, media = await setup(services, items)
    io = ClockIO(services.db, NOW)
    follows = PointsBudget(0.8, pace=False)  # a follow job spent this hour's share
    follows.spend(NOW - 600, 1333)  # 3,999 of 4,000 points
    await io.budgets.save(job.user_id, "bluesky", follows.state())
    writer = FakeWriter()
    assert await import_posts(job, writer, io, OPTIONS, posts, media)
    assert len(writer.posts) == 3
    assert io.slept and io.slept[0] == pytest.approx(3000, abs=1)  # until the hour resets
    state = await io.budgets.load(job.user_id, "bluesky")
    assert state is not None and state["day"]["used"] == 3999 + 9


async def test_a_429_waits_for_the_reset_and_sends_the_same_post(services: Services) -> None:
    items = [item(0, 300, "once")]
    job, posts, media = await setup(services, items)
    writer, io = FakeWriter(), ClockIO(services.db, NOW)
    writer.rate_limited_once = True
    assert await import_posts(job, writer, io, OPTIONS, posts, media)
    assert [r["text"] for r in writer.posts.values()] == ["once"]
    assert io.slept == [pytest.approx(120, abs=1)]


async def test_server_errors_are_retried_across_runs_then_the_job_pauses(
    services: Services,
) -> None:
    from chatbot.migration.job_view import UNAVAILABLE

    class Down(FakeWriter):
        async def create_post(self, rkey: str, record: dict[str, Any]) -> PostRef:
            raise WriterError("http_503", retry=True)

    class Handed(Exception):
        """A worker hands a long wait to the queue (the job runs again later)."""

    class WorkerIO(ClockIO):
        async def sleep(self, job: Job, seconds: float) -> bool:
            await super().sleep(job, seconds)
            if seconds > 20:
                raise Handed()
            return True

    job, posts, media = await setup(services, [item(0, 400, "later")])
    io = WorkerIO(services.db, NOW)
    for _ in range(3):  # 5 s in the run, then 30 s, 120 s and 600 s each handed over
        with pytest.raises(Handed):
            await import_posts(job, Down(), io, OPTIONS, posts, media)
        job = await io.store.get(job.id) or job
    with pytest.raises(WriterError) as stopped:
        await import_posts(job, Down(), io, OPTIONS, posts, media)
    assert stopped.value.code == UNAVAILABLE  # paused by the runner: /resume later
    assert io.slept == [5.0, 30.0, 120.0, 600.0]
