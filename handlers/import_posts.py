"""`/import posts [dry] [FROM] [TO]`: the user's own old posts, brought to Bluesky.

The archive sent for the summary was deleted after reading, so the import asks for it
again, reads only the posts and their media (`chatbot.posts.prepare`, off the event
loop), deletes the upload, and keeps the prepared posts until the import ends or
`/forget`. Then it shows the plan and either a preview (``dry``) or a confirmation;
the posting itself is a background job (`/status`, `/pause`, `/resume`, `/cancel`).
"""

from __future__ import annotations

import datetime as dt
import math

from chatbot.archive import ArchiveError
from chatbot.config import ArchiveLimits
from chatbot.conversation import Context
from chatbot.matching.model import Match
from chatbot.migration.budget import estimate_hours
from chatbot.migration.writers import ExpiredError, WriterError, close_writer
from chatbot.networks.types import NetworkUnavailable
from chatbot.posts.store import PostStore, media_dir
from handlers.archive import downloaded
from handlers.follow import runner
from handlers.import_view import render_plan, render_preview, render_skipped
from handlers.match_counts import user_matches

STEP = "import_posts"
PREVIEW = 5


def parse_period(words: list[str]) -> tuple[dt.datetime | None, dt.datetime | None] | None:
    """``2019``, ``2019-05`` or ``2019-05-17``: one (that period) or two (from, to); else None."""
    bounds: list[tuple[dt.datetime, dt.datetime]] = []
    for word in words:
        parts = word.split("-")
        try:
            numbers = [int(p) for p in parts]
            if len(parts) == 1 and len(parts[0]) == 4:
                start = dt.datetime(numbers[0], 1, 1, tzinfo=dt.UTC)
                end = start.replace(year=start.year + 1)
            elif len(parts) == 2:
                start = dt.datetime(numbers[0], numbers[1], 1, tzinfo=dt.UTC)
                end = (start + dt.timedelta(days=32)).replace(day=1)
            elif len(parts) == 3:
                start = dt.datetime(numbers[0], numbers[1], numbers[2], tzinfo=dt.UTC)
                end = start + dt.timedelta(days=1)
            else:
                return None
        except ValueError:
            return None
        bounds.append((start, end))
    if not bounds:
        return None, None
    if len(bounds) > 2 or bounds[0][0] >= bounds[-1][1]:
        return None
    return bounds[0][0], bounds[-1][1]


async def import_(ctx: Context) -> None:
    args = [arg.lower() for arg in ctx.args]
    period = parse_period([a for a in args[1:] if a != "dry"]) if args else None
    if not args or args[0] != "posts" or period is None:
        await ctx.say("posts.usage")
        return
    dry = "dry" in args
    jobs = runner(ctx.services, ctx)
    if any(job.is_import for job in await jobs.store.for_user(ctx.user.id)):
        await ctx.say("posts.already_running")
        return
    store = PostStore(ctx.services.db)
    if period == (None, None) and await store.count(ctx.user.id):
        await _plan_ready(ctx, store, dry=dry, fresh=False)  # prepared earlier: no re-upload
        return
    since, until = period
    await ctx.services.pending.expect(ctx.user_key, STEP, dry=dry, since=_iso(since),
                                      until=_iso(until))  # fmt: skip
    await ctx.say("posts.send_archive")


async def expecting_archive(ctx: Context) -> bool:
    pending = await ctx.services.pending.current(ctx.user_key)
    return pending is not None and pending.step == STEP


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _date(value: object) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None


async def archive_received(ctx: Context) -> None:
    """The archive sent again for `/import posts`: prepare the posts, show the plan."""
    pending = await ctx.services.pending.take(ctx.user_key, STEP)
    assert pending is not None
    services = ctx.services
    store = PostStore(services.db)
    mentions = await _mentions(ctx)
    async with downloaded(ctx) as (path, progress):
        if path is None:
            return
        await progress.update(ctx.t("posts.reading"))
        await store.clear(ctx.user.id, services.settings.data_dir)
        try:
            prepared = await services.parser.prepare_posts(
                [path],
                media_dir(services.settings.data_dir, ctx.user.id),
                user=ctx.user.id,  # the pool's fair share
                mentions=mentions,
                since=_date(pending.data.get("since")),
                until=_date(pending.data.get("until")),
                limits=ArchiveLimits(),
            )
        except ArchiveError as exc:
            await progress.done(ctx.t(f"archive.error.{exc.code}", **exc.params))
            return
        await progress.done(ctx.t("upload.read_done"))
    await store.replace(ctx.user.id, prepared.posts)
    skipped = render_skipped(ctx.t, prepared.skipped, prepared.media_left_out)
    if not prepared.posts:
        await store.clear(ctx.user.id, services.settings.data_dir)
        await ctx.say("posts.nothing", skipped=skipped)
        return
    await ctx.say("posts.skipped_intro", skipped=skipped)
    await _plan_ready(ctx, store, dry=bool(pending.data.get("dry")), fresh=True)


async def _plan_ready(ctx: Context, store: PostStore, *, dry: bool, fresh: bool) -> None:
    items = await store.items(ctx.user.id)
    await ctx.say("posts.plan" if fresh else "posts.plan_kept", plan=render_plan(ctx.t, items))
    if dry:
        await ctx.say("posts.preview", posts=render_preview(ctx.t, items[:PREVIEW]))
        await ctx.say("posts.dry_done", count=len(items))
        return
    handle = await _connected_handle(ctx)
    if handle is None:
        return
    await ctx.ask(
        ctx.t("posts.confirm", count=len(items), handle=handle),
        [(ctx.t("posts.yes"), "posts:go"), (ctx.t("posts.no"), "posts:no")],
    )


async def pressed(ctx: Context) -> None:
    """The answer to the confirmation: start the job, or keep the posts for later."""
    if ctx.message.callback != "posts:go":
        await ctx.say("posts.declined")
        return
    jobs = runner(ctx.services, ctx)
    if any(job.is_import for job in await jobs.store.for_user(ctx.user.id)):
        await ctx.say("posts.already_running")
        return
    items = await PostStore(ctx.services.db).items(ctx.user.id)
    if not items:
        await ctx.say("posts.nothing_prepared")
        return
    if await _connected_handle(ctx) is None:
        return
    await jobs.submit_import(ctx.user.id, len(items), {"prepared": len(items)})
    writes = sum(len(item.parts) for item in items)
    hours = estimate_hours(writes, jobs.options.headroom)
    await ctx.say("posts.started", count=len(items), hours=max(1, math.ceil(hours)))


async def _connected_handle(ctx: Context) -> str | None:
    """The connected Bluesky handle, or None after telling the user what to do."""
    jobs = runner(ctx.services, ctx)
    try:
        writer = await jobs.post_writer_factory(ctx.services, ctx.user.id, "bluesky")
    except ExpiredError:
        await ctx.say("follow.error.expired")
        return None
    except WriterError:
        await ctx.say("follow.server_down", command="/import posts")
        return None
    await close_writer(writer)  # it proved the session works; the job opens its own
    account = (await ctx.services.accounts.of_user(ctx.user.id)).get("bluesky")
    if writer is None or account is None:
        await ctx.say("posts.not_connected", command="/connect bluesky")
        return None
    return account[0]


async def _mentions(ctx: Context) -> dict[str, str]:
    """X screen name -> Bluesky DID, for the user's sure matches (mention facets)."""
    try:
        found: list[Match] | None = await user_matches(ctx.services, ctx.user.id)
    except NetworkUnavailable:
        return {}
    names: dict[str, str] = {}
    for match in found or []:
        sure = match.network == "bluesky" and match.eligible_for_auto_follow
        if sure and match.did and match.x_username:
            names.setdefault(match.x_username.lower(), match.did)
    return names
