"""The end of an upload: one summary, one line of names and one matching per batch.

Files that arrive together (an album, several files in one message, files sent within
`Settings.upload_batch_s` seconds of each other) are one upload (`chatbot.conversation.
batches`): each gets a short acknowledgement as it is read, and once they stop arriving
the user sees the summary of everything they sent, the names recovered from their posts
(when posts were read) and the search for their contacts.
"""

from __future__ import annotations

import asyncio
import hashlib

from chatbot.archive import ParsedArchive
from chatbot.conversation import Context
from chatbot.conversation.batches import batch_key
from chatbot.platforms.base import Image, Text
from handlers.match_counts import start_matching
from handlers.summary_view import chart_labels, render_handles, render_summary

JOB = "upload"


def key(ctx: Context) -> str:
    return batch_key(ctx.platform.name, ctx.message.user.user_id)


def settle_later(ctx: Context, generation: int) -> None:
    """In the background: when no other file follows within the wait, end the batch. One
    such job per user (a later file's replaces it): a user looping uploads holds one, not
    one per file (threat model §4.5, `tests/abuse/test_fair_share.py`)."""
    ctx.services.jobs.spawn(JOB, ctx.user.id, _settle(ctx, generation))


async def _settle(ctx: Context, generation: int) -> None:
    services = ctx.services
    if not await services.batches.whole(key(ctx)):  # loose files: more may follow
        await asyncio.sleep(services.settings.upload_batch_s)
    batch = await services.batches.settle(key(ctx), generation)
    if batch is None or not batch.changed:  # a later file ends it, or nothing was stored
        return
    parsed = await services.archives.load(ctx.user.id)
    if parsed is None:  # forgotten meanwhile
        return
    if _digest(ctx, parsed) != batch.shown:  # not shown yet, or changed since
        await send_summary(ctx, parsed)
    if batch.posts or parsed.handles:  # names come from posts (notes and community posts too)
        await ctx.reply(Text(render_handles(ctx.t, parsed)))
    await start_matching(ctx, parsed)


async def show_summary(ctx: Context, parsed: ParsedArchive) -> None:
    """The summary shown before the batch ends (a large archive, before its names)."""
    await send_summary(ctx, parsed)
    await ctx.services.batches.shown(key(ctx), _digest(ctx, parsed))


async def send_summary(ctx: Context, parsed: ParsedArchive) -> None:
    await ctx.reply(Text(render_summary(ctx.t, parsed)))
    if parsed.tweets_per_year:
        labels = chart_labels(ctx.t, parsed)
        png = await ctx.services.parser.chart(parsed.tweets_per_year, labels, user=ctx.user.id)
        await ctx.reply(Image("posts-per-year.png", png, caption=ctx.t("summary.chart_caption")))


def _digest(ctx: Context, parsed: ParsedArchive) -> str:
    """What the summary shows, and whether it has a chart, in a few bytes."""
    shown = f"{render_summary(ctx.t, parsed)}\n{sorted(parsed.tweets_per_year.items())}"
    return hashlib.blake2s(shown.encode(), digest_size=8).hexdigest()
