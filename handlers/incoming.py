"""Messages that are not commands: a file, or free text, routed to what expects them.

Most files are archives and most free text expects nothing: those paths import only
the archive handler (or the hint), never the modules of the steps that were not taken
(free text shaped like a Bluesky login code is always offered to the login first).
"""

from __future__ import annotations

from chatbot.conversation import Context
from chatbot.oauth.codes import normalise
from handlers import connect_flow, start


async def file_received(ctx: Context) -> None:
    """A file in a private chat: the CSV an admin announced, the archive `/import posts`
    asked for again, otherwise an archive to read. In scale-out mode a front end hands
    every file to the workers, which route it the same way."""
    if ctx.services.queue is not None and not ctx.services.in_worker:
        from handlers import handover

        await handover.hand_over(ctx)
        return
    if await ctx.services.pending.current(ctx.user_key) is not None and await _expected(ctx):
        return
    from handlers import archive

    await archive.received(ctx)


async def _expected(ctx: Context) -> bool:
    """Handle the file as the step a command waits for, if it is one."""
    from handlers import directory_admin, group_roster, import_posts

    if await directory_admin.expecting_csv(ctx):
        await directory_admin.csv_received(ctx)
    elif (org_id := await group_roster.expecting_csv(ctx)) is not None:
        await group_roster.csv_received(ctx, org_id)
    elif await import_posts.expecting_archive(ctx):
        await import_posts.archive_received(ctx)
    else:
        return False
    return True


async def text_received(ctx: Context) -> None:
    """Free text: the code of an approved Bluesky login, the next step of a /connect in
    progress, otherwise a hint. Text that is neither a step nor shaped like a code goes
    to the hint without importing the login modules."""
    code = normalise(ctx.message.text.strip())
    if code is None and await connect_flow.current(ctx) is None:
        await start.free_text(ctx)
        return
    from handlers.connect import text_router

    await text_router(start.free_text)(ctx)
