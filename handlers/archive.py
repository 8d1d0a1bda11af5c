"""Receiving an archive: size checks, download, parse off the loop, merge, store, summary.

The raw upload is deleted as soon as it is parsed; only facts are stored.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

from chatbot.archive import ArchiveError, ParsedArchive, merge_archives
from chatbot.archive.spool import UploadLost
from chatbot.config import ArchiveLimits
from chatbot.conversation import Context, Progress
from chatbot.platforms.base import Attachment, DownloadFailed, TooBigToDownload
from handlers import upload_batch
from handlers.match_counts import refresh_names
from handlers.profile import keep_images

log = logging.getLogger(__name__)

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# Uploads up to this size are read once, names included (a fraction of a second); larger
# ones get their summary first, then a second pass over the posts for the names.
ONE_READ_BYTES = 4_000_000


async def received(ctx: Context) -> None:
    """A file arrived in a private chat: read it, store it, acknowledge it. The summary
    and the matching wait until the user's files stop arriving (`handlers.upload_batch`,
    called by the dispatcher once the file is handled)."""
    async with downloaded(ctx) as (path, progress):
        if path is None:
            return
        await progress.update(ctx.t("upload.reading"))
        stored = await _read_and_store(ctx, path, progress)
        if stored is not None:
            await ctx.services.batches.note(upload_batch.key(ctx), changed=True,
                                            posts=stored.posts_read,
                                            whole=stored.era != "loose")  # fmt: skip
            await keep_images(ctx, path, stored)  # the avatar and banner only, for /profile


@contextlib.asynccontextmanager
async def downloaded(ctx: Context) -> AsyncIterator[tuple[Path | None, Progress]]:
    """The attachment, downloaded into a private folder that is deleted on exit.

    Yields None (after telling the user why) when it is too big, when the uploads being
    read already fill their disk allowance, or when it did not arrive.
    """
    attachment = ctx.message.attachment
    assert attachment is not None
    progress = ctx.progress()
    if not await size_ok(ctx, attachment):
        yield None, progress
        return
    uploads = ctx.services.uploads
    # a worker reads a file a front end already downloaded (and counted): no second check
    folder = await uploads.reserve(reservation(ctx, attachment), check=not ctx.services.in_worker)
    if folder is None:
        await ctx.say("upload.disk_full")
        yield None, progress
        return
    try:
        await progress.update(ctx.t("upload.receiving"))
        try:
            path = await ctx.platform.download(attachment, folder / safe_name(attachment.name))
        except TooBigToDownload as exc:
            await progress.done(ctx.t("upload.too_big_for_platform", limit=mb(exc.limit)))
            await ctx.say("upload.slim_guidance")
            yield None, progress
            return
        except UploadLost:
            await progress.done(ctx.t("upload.lost"))
            yield None, progress
            return
        except DownloadFailed:
            await progress.done(ctx.t("upload.download_failed"))
            yield None, progress
            return
        yield path, progress
    finally:
        uploads.release(folder)


def reservation(ctx: Context, attachment: Attachment) -> int:
    """The disk to set aside for a download: its size, else the most it may be."""
    if attachment.size is not None:
        return attachment.size
    return ctx.platform.limits.max_download_bytes or ArchiveLimits().max_upload_bytes


async def summary(ctx: Context) -> None:
    """`/summary`: show the stored summary again."""
    parsed = await ctx.services.archives.load(ctx.user.id)
    if parsed is None:
        await ctx.say("upload.nothing_yet")
        return
    await upload_batch.send_summary(ctx, parsed)


async def size_ok(ctx: Context, attachment: Attachment) -> bool:
    size = attachment.size
    platform_limit = ctx.platform.limits.max_download_bytes
    if size is not None and platform_limit is not None and size > platform_limit:
        await ctx.say("upload.too_big_for_platform", limit=mb(platform_limit))
        await ctx.say("upload.slim_guidance")
        return False
    own_limit = ArchiveLimits().max_upload_bytes
    if size is not None and size > own_limit:
        await ctx.say("upload.too_big", limit=mb(own_limit))
        await ctx.say("upload.slim_guidance")
        return False
    return True


async def _read_and_store(ctx: Context, path: Path, progress: Progress) -> ParsedArchive | None:
    """Read one file, merge it into what the user sent before, store it, acknowledge it:
    the archive as read (None when unreadable). A large file with posts is read twice:
    its summary is shown first when it comes alone, then its posts are read for names."""
    services = ctx.services
    once = path.stat().st_size <= ONE_READ_BYTES  # noqa: ASYNC240 (a stat)
    try:
        quick = await services.parser.read([path], hints=once, user=ctx.user.id)
        parsed = await _store(ctx, quick)
    except ArchiveError as exc:  # unreadable, or a field the schema cannot hold: damaged
        await progress.done(ctx.t(f"archive.error.{exc.code}", **exc.params))
        return None
    await progress.done(ctx.t("upload.read_done"))
    if once or not quick.posts_read:
        return quick
    if await services.batches.alone(upload_batch.key(ctx)):  # the summary first, then names
        await upload_batch.show_summary(ctx, parsed)
    await ctx.say("upload.looking_for_handles")
    try:
        full = await services.parser.read([path], hints=True, user=ctx.user.id)
        await _store(ctx, full)
    except ArchiveError as exc:
        await ctx.say(f"archive.error.{exc.code}", **exc.params)
        return quick
    return full


async def _store(ctx: Context, new: ParsedArchive) -> ParsedArchive:
    """Merge `new` into the stored archive (one merge at a time per user) and save it."""
    services = ctx.services
    async with services.batches.lock(ctx.user.id):
        previous = await services.archives.load(ctx.user.id)
        parsed = _combine(previous, new)
        await services.archives.save(ctx.user.id, parsed)
    await refresh_names(ctx, parsed, previous)
    return parsed


def _combine(previous: ParsedArchive | None, new: ParsedArchive) -> ParsedArchive:
    """Loose files sent one after another add up; a whole archive replaces what was there."""
    if previous is not None and new.era == "loose":
        return merge_archives(previous, new)
    return new


def safe_name(name: str) -> str:
    """Keep the file's base name (the reader uses it: following.js, tweets-part1.js)."""
    base = Path(name.replace("\\", "/")).name
    cleaned = _SAFE_NAME.sub("_", base).lstrip(".")
    return cleaned[:120] or "upload"


def mb(size: int) -> int:
    return max(1, round(size / 1_000_000))
