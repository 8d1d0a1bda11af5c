"""The post import job: prepared posts to Bluesky, within the account's points budget.

Posts go one `createRecord` at a time (a reply needs its parent's CID), each costing 3
points from the same budget as follows (`BudgetStore`). Before each create the part is
saved as "in flight" in the job's checkpoint; the post's record key is derived from the
tweet, so after a crash the job asks the repository for that key and logs what it finds
instead of posting again. The checkpoint's `next_seq` says which prepared posts are
already counted; `post_log` says which parts exist.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatbot.migration.budget import PointsBudget
from chatbot.migration.follow import RETRY_S, FollowOptions, JobIO, retry_later, utc_at
from chatbot.migration.job_view import UNAVAILABLE
from chatbot.migration.store import Job
from chatbot.migration.writers import RateLimitedError, WriterError
from chatbot.posts.prepare import PreparedPost
from chatbot.posts.store import Posted, PostStore
from chatbot.posts.tid import tid, tweet_rkey
from chatbot.posts.writer import POST, BlueskyPostWriter

log = logging.getLogger(__name__)


class Stopped(Exception):
    """The job was paused or cancelled while it waited."""


@dataclass(frozen=True)
class Thread:
    root: Posted
    parent: Posted


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def post_record(
    item: PreparedPost, part: int, *, thread: Thread | None, embed: dict[str, Any] | None
) -> dict[str, Any]:
    """The `app.bsky.feed.post` record of one part (continuations one second apart)."""
    created = item.created_at or dt.datetime.now(dt.UTC)
    body = item.parts[part]
    record: dict[str, Any] = {
        "$type": POST,
        "text": body["text"],
        "createdAt": iso(created + dt.timedelta(seconds=part)),
    }
    if body.get("facets"):
        record["facets"] = body["facets"]
    if item.langs:
        record["langs"] = item.langs[:3]
    if thread is not None:
        record["reply"] = {
            "root": {"uri": thread.root.uri, "cid": thread.root.cid},
            "parent": {"uri": thread.parent.uri, "cid": thread.parent.cid},
        }
    if embed is not None:
        record["embed"] = embed
    return record


def record_key(item: PreparedPost, part: int) -> str:
    """The post's record key, the same on every attempt (a TID from the tweet)."""
    try:
        return tweet_rkey(item.tweet_id, item.created_at, part)
    except ValueError:  # an undated pre-2010 id: a TID from the id itself
        return tid(item.tweet_id % (1 << 53), part % 1024)


class PostImport:
    """One run of an import job (made again on every resume)."""

    def __init__(
        self,
        job: Job,
        writer: BlueskyPostWriter,
        io: JobIO,
        options: FollowOptions,
        posts: PostStore,
        media: Path,
    ) -> None:
        self.job, self.writer, self.io, self.posts, self.media = job, writer, io, posts, media
        self.budget = PointsBudget(
            options.headroom,
            hour_points=options.hour_points,
            day_points=options.day_points,
            max_batch=1,
            pace=options.pace,
        )
        self.done: dict[tuple[int, int], Posted] = {}
        self.parts: dict[int, int] = {}
        self.inflight: tuple[int, int] | None = None
        self.next_seq = int(job.checkpoint.get("next_seq", 0))
        self.attempt = int(job.checkpoint.get("attempt", 0))  # retries after server errors

    # -- the run ---------------------------------------------------------------------------

    async def run(self) -> bool:
        """Post every prepared post; True when all were handled."""
        job, io = self.job, self.io
        self.budget.restore(await io.budgets.load(job.user_id, "bluesky"))
        flight = job.checkpoint.get("inflight")
        self.inflight = (int(flight[0]), int(flight[1])) if flight else None
        self.done = await self.posts.posted(job.user_id)
        items = await self.posts.items(job.user_id)
        self.parts = {item.tweet_id: len(item.parts) for item in items}
        for item in items:
            if item.seq < self.next_seq:
                continue
            if not await io.active(job):
                return False
            outcome = await self._post(item)
            if outcome is None:
                return False
            self.next_seq = item.seq + 1
            await io.store.count(job.id, self._checkpoint(), **{outcome: 1})
            await io.report(job)
        return True

    def _checkpoint(self, inflight: tuple[int, int] | None = None) -> dict[str, Any]:
        return {"next_seq": self.next_seq, "inflight": list(inflight) if inflight else None}

    async def _post(self, item: PreparedPost) -> str | None:
        """Post every part of one tweet: "done", "skipped", "failed", or None (stopped)."""
        keys = [(item.tweet_id, part) for part in range(len(item.parts))]
        if all(key in self.done for key in keys):
            return "skipped"  # posted by an earlier import
        if not any(p["text"] for p in item.parts) and not item.media:
            return "skipped"  # nothing left to say (a media-only post whose media is gone)
        thread = self._thread_of(item)
        embed: dict[str, Any] | None = None
        for part, key in enumerate(keys):
            if key in self.done:
                posted = self.done[key]
            else:
                if part == 0 and item.media:
                    try:
                        embed = await self._embed(item)
                    except Stopped:
                        return None
                posted_or_none = await self._create(
                    item, part, thread, embed if part == 0 else None
                )
                if posted_or_none is None:
                    return None
                if not posted_or_none.uri:
                    return "failed"
                posted = posted_or_none
            thread = Thread(thread.root if thread else posted, posted)
        return "done"

    def _thread_of(self, item: PreparedPost) -> Thread | None:
        """The reply references of a post's first part, when its parent was posted."""
        if item.parent_id is None:
            return None
        last = self.parts.get(item.parent_id, 1) - 1
        parent = self.done.get((item.parent_id, last))
        root = self.done.get((item.root_id, 0))
        if parent is None or root is None:
            return None  # the parent failed: this post starts a thread of its own
        return Thread(root, parent)

    # -- one create, with its waits and retries ----------------------------------------------

    async def _create(
        self, item: PreparedPost, part: int, thread: Thread | None, embed: dict[str, Any] | None
    ) -> Posted | None:
        """The post made (an empty URI when refused for good), or None when stopped."""
        job, io, store = self.job, self.io, self.io.store
        key = (item.tweet_id, part)
        rkey = record_key(item, part)
        if self.inflight == key:  # cut off mid-create last time: did it land?
            self.inflight = None
            found = await self.writer.get_post(rkey)
            if found is not None:
                return await self._logged(key, found.uri, found.cid)
        record = post_record(item, part, thread=thread, embed=embed)
        while True:
            now = io.now()
            plan = self.budget.plan(now, 1)
            if plan.writes == 0:
                await store.save_checkpoint(
                    job.id, self._checkpoint(), next_run_at=utc_at(now + plan.wait_s)
                )
                if not await io.sleep(job, plan.wait_s):
                    return None
                continue
            await store.save_checkpoint(job.id, self._checkpoint(key))
            self.budget.spend(now, 1)
            await self._keep_budget()
            try:
                made = await self.writer.create_post(rkey, record)
            except RateLimitedError as exc:
                wait = self.budget.rate_limited(io.now(), exc.headers)
                await self._keep_budget()
                await store.save_checkpoint(
                    job.id, self._checkpoint(), next_run_at=utc_at(io.now() + wait)
                )
                if not await io.sleep(job, wait):
                    return None
                continue
            except WriterError as exc:
                found = await self.writer.get_post(rkey)  # refused because it exists?
                if found is not None:
                    return await self._logged(key, found.uri, found.cid)
                if exc.retry:  # kept in the checkpoint; paused as "unavailable" at the end
                    self.attempt += 1
                    point = self._checkpoint(key)
                    if not await retry_later(io, job, self.attempt - 1, exc, point):
                        return None
                    continue
                log.info("job %d: a post was refused (%s)", job.id, exc.code)
                await self.posts.log(job.user_id, key[0], key[1], "failed")
                return Posted("", "")
            self.attempt = 0
            self.budget.observe(io.now(), made.headers)
            await self._keep_budget()
            return await self._logged(key, made.uri, made.cid)

    async def _logged(self, key: tuple[int, int], uri: str, cid: str) -> Posted:
        await self.posts.log(self.job.user_id, key[0], key[1], "posted", uri=uri, cid=cid)
        self.done[key] = Posted(uri, cid)
        return self.done[key]

    async def _keep_budget(self) -> None:
        await self.io.budgets.save(self.job.user_id, "bluesky", self.budget.state())

    # -- media -----------------------------------------------------------------------------

    async def _embed(self, item: PreparedPost) -> dict[str, Any] | None:
        """Upload the post's media; an embed of what went up (None when nothing did)."""
        images: list[dict[str, Any]] = []
        for media in item.media:
            path = self.media / str(media["file"])
            try:
                data = path.read_bytes()
            except OSError:
                continue  # cleared meanwhile: the post goes without it
            blob = await self._upload(data, str(media["mime"]))
            if blob is None:
                continue
            if media["kind"] == "video":
                return {"$type": "app.bsky.embed.video", "video": blob}
            image: dict[str, Any] = {"alt": "", "image": blob}
            if media.get("width") and media.get("height"):
                image["aspectRatio"] = {"width": media["width"], "height": media["height"]}
            images.append(image)
        return {"$type": "app.bsky.embed.images", "images": images} if images else None

    async def _upload(self, data: bytes, mime: str) -> dict[str, Any] | None:
        """The blob, None when refused for good (the post goes without it); a server
        that keeps failing pauses the job as "unavailable" rather than drop the media."""
        io, job = self.io, self.job
        failures = 0
        while True:
            try:
                return await self.writer.upload(data, mime)
            except RateLimitedError as exc:  # uploadBlob: 1,000 a day per PDS and client IP
                now = io.now()
                reset = float(exc.headers.get("ratelimit-reset") or 0) or now + 3600
                wait = min(86400.0, max(60.0, (reset if reset > 1e9 else now + reset) - now))
                await io.store.save_checkpoint(job.id, self._checkpoint(),
                                               next_run_at=utc_at(now + wait))  # fmt: skip
                if not await io.sleep(job, wait):
                    raise Stopped() from None
            except WriterError as exc:
                if not exc.retry:
                    log.info("job %d: media refused (%s), posting without it", job.id, exc.code)
                    return None
                failures += 1
                if failures > 1:
                    raise WriterError(UNAVAILABLE) from exc
                if not await io.sleep(job, RETRY_S[0]):
                    raise Stopped() from None


async def import_posts(
    job: Job,
    writer: BlueskyPostWriter,
    io: JobIO,
    options: FollowOptions,
    posts: PostStore,
    media: Path,
) -> bool:
    """Run (or resume) an import job; True when every prepared post was handled."""
    return await PostImport(job, writer, io, options, posts, media).run()
