"""Scale-out mode: a front end hands files over to the workers instead of reading them.

Reading an archive takes seconds to minutes of CPU: a front end only downloads the file
into the uploads folder the workers share, and queues the message; a worker reads it
(`handlers.archive`) and its replies come back through the outbox. Size limits are
checked here first, so nothing too big is ever downloaded.
"""

from __future__ import annotations

import dataclasses

from redis.exceptions import RedisError

from chatbot.conversation import Context
from chatbot.platforms.base import DownloadFailed, TooBigToDownload
from handlers.archive import mb, reservation, safe_name, size_ok


async def hand_over(ctx: Context) -> None:
    attachment = ctx.message.attachment
    assert attachment is not None
    if not await size_ok(ctx, attachment):
        return
    uploads = ctx.services.uploads
    folder = await uploads.reserve(reservation(ctx, attachment), prefix="in-")
    if folder is None:  # the uploads being read fill their disk allowance
        await ctx.say("upload.disk_full")
        return
    try:
        path = await ctx.platform.download(attachment, folder / safe_name(attachment.name))
    except TooBigToDownload as exc:
        uploads.release(folder)
        await ctx.say("upload.too_big_for_platform", limit=mb(exc.limit))
        await ctx.say("upload.slim_guidance")
        return
    except DownloadFailed:
        uploads.release(folder)
        await ctx.say("upload.download_failed")
        return
    # the user's display name stays here: the queue (Redis) only needs ids and the file
    user = dataclasses.replace(ctx.message.user, display_name=None)
    local = dataclasses.replace(attachment, file_id=str(path))
    message = dataclasses.replace(ctx.message, attachment=local, user=user)
    try:
        await ctx.services.queue.handle_message(ctx.platform.name, message)
    except RedisError:  # the queue is away: say so, keep nothing
        uploads.release(folder)
        await ctx.say("upload.busy")
        return
    uploads.disown(folder)  # a worker takes it over (or the sweep, if none ever does)
