"""Scale-out mode: a front end hands files over to the workers instead of reading them.

Reading an archive takes seconds to minutes of CPU: a front end only downloads the file
into the uploads folder the workers share, and queues the message; a worker reads it
(`handlers.archive`) and its replies come back through the outbox. Size limits are
checked here first, so nothing too big is ever downloaded.
"""

from __future__ import annotations

import dataclasses
import secrets
import shutil

from redis.exceptions import RedisError

from chatbot.conversation import Context
from chatbot.platforms.base import DownloadFailed, TooBigToDownload
from handlers.archive import mb, safe_name, size_ok


async def hand_over(ctx: Context) -> None:
    attachment = ctx.message.attachment
    assert attachment is not None
    if not await size_ok(ctx, attachment):
        return
    folder = ctx.services.settings.uploads_dir / ("in-" + secrets.token_hex(8))
    folder.mkdir(parents=True, mode=0o700)
    try:
        path = await ctx.platform.download(attachment, folder / safe_name(attachment.name))
    except TooBigToDownload as exc:
        shutil.rmtree(folder, ignore_errors=True)
        await ctx.say("upload.too_big_for_platform", limit=mb(exc.limit))
        await ctx.say("upload.slim_guidance")
        return
    except DownloadFailed:
        shutil.rmtree(folder, ignore_errors=True)
        await ctx.say("upload.download_failed")
        return
    local = dataclasses.replace(attachment, file_id=str(path))
    message = dataclasses.replace(ctx.message, attachment=local)
    try:
        await ctx.services.queue.handle_message(ctx.platform.name, message)
    except RedisError:  # the queue is away: say so, keep nothing
        shutil.rmtree(folder, ignore_errors=True)
        await ctx.say("upload.busy")
