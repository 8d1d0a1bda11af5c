"""`/import_directory` (bot admins): import a mapping CSV ``x_id, x_username, bluesky, mastodon``.

The admin sends the command, then the CSV file as the next file in the same private chat
(within ten minutes: `services.pending`). The expectation is kept in memory: after a
restart, or when the time is up, a file is read as an archive again and the admin simply
sends the command again.
Each entry keeps its provenance (``csv_import``) and the file's name; imported links
prove nothing, so they show as "claimed" until their owners prove them.
"""

from __future__ import annotations

import secrets
import shutil
from collections import Counter

from chatbot.conversation import Context
from chatbot.conversation.dispatcher import is_bot_admin
from chatbot.platforms.base import DownloadFailed, Text, TooBigToDownload
from chatbot.storage.directory import DirectoryStore

MAX_CSV_BYTES = 50 * 1024**2
STEP = "directory_csv"


async def import_directory(ctx: Context) -> None:
    await ctx.services.pending.expect(ctx.user_key, STEP)
    minutes = int(ctx.services.pending.ttl_s // 60)
    await ctx.say("csvimport.send_csv", minutes=minutes)


async def expecting_csv(ctx: Context) -> bool:
    """Whether the file just received is the CSV an admin announced (consumes the wait)."""
    taken = await ctx.services.pending.take(ctx.user_key, STEP)
    return taken is not None and is_bot_admin(ctx.services, ctx)


async def csv_received(ctx: Context) -> None:
    attachment = ctx.message.attachment
    assert attachment is not None
    if attachment.size is not None and attachment.size > MAX_CSV_BYTES:
        await ctx.say("csvimport.too_big", limit=MAX_CSV_BYTES // 1_000_000)
        return
    folder = ctx.services.settings.uploads_dir / secrets.token_hex(8)
    folder.mkdir(parents=True, mode=0o700)
    try:
        path = await ctx.platform.download(attachment, folder / "directory.csv")
        raw = path.read_bytes()[: MAX_CSV_BYTES + 1]
    except (DownloadFailed, TooBigToDownload):
        await ctx.say("csvimport.download_failed")
        return
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        await ctx.say("csvimport.not_text")
        return
    name = attachment.name[:200] or "directory.csv"
    result = await DirectoryStore(ctx.services.db).import_csv(
        text, provenance="csv_import", detail=name
    )
    lines = [ctx.t("csvimport.imported", added=result.added, updated=result.updated,
                   rejected=len(result.problems), name=name)]  # fmt: skip
    why = Counter(problem.problem for problem in result.problems)
    for problem, count in sorted(why.items()):
        first = [str(p.line) for p in result.problems if p.problem == problem][:10]
        lines.append(ctx.t(f"csvimport.problem.{problem}", count=count, lines=", ".join(first)))
    await ctx.reply(Text("\n".join(lines)))
