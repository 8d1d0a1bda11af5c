"""`/import_directory` (bot admins): import a mapping CSV ``x_id, x_username, bluesky, mastodon``.

The admin sends the command, then the CSV file as the next file in the same private chat
(within `WAIT_S`). The expectation is kept in memory: after a restart, or when the time
is up, a file is read as an archive again and the admin simply sends the command again.
Each entry keeps its provenance (``csv_import``) and the file's name; imported links
prove nothing, so they show as "claimed" until their owners prove them.
"""

from __future__ import annotations

import secrets
import shutil
import time
from collections import Counter

from chatbot.conversation import Context
from chatbot.conversation.dispatcher import is_bot_admin
from chatbot.platforms.base import DownloadFailed, Text, TooBigToDownload
from chatbot.storage.directory import DirectoryStore

WAIT_S = 10 * 60
MAX_CSV_BYTES = 50 * 1024**2
_awaiting: dict[tuple[str, str], float] = {}  # (platform, user id) -> deadline


async def import_directory(ctx: Context) -> None:
    _awaiting[ctx.platform.name, ctx.message.user.user_id] = time.monotonic() + WAIT_S
    await ctx.say("csvimport.send_csv", minutes=WAIT_S // 60)


def expecting_csv(ctx: Context) -> bool:
    """Whether the file just received is the CSV an admin announced (consumes the wait)."""
    deadline = _awaiting.pop((ctx.platform.name, ctx.message.user.user_id), None)
    return deadline is not None and time.monotonic() < deadline and is_bot_admin(ctx.services, ctx)


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
