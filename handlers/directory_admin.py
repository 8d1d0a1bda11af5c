"""`/import_directory` (bot admins): import a mapping CSV ``x_id, x_username, bluesky, mastodon``.

The admin sends the command, then the CSV file as the next file in the same private chat
(within ten minutes: `services.pending`). The expectation is kept in memory: after a
restart, or when the time is up, a file is read as an archive again and the admin simply
sends the command again.
Each entry keeps its provenance (``csv_import``) and the file's name; imported links
prove nothing, so they show as "claimed" until their owners prove them.
"""

from __future__ import annotations

from collections import Counter

from chatbot.conversation import Context
from chatbot.conversation.dispatcher import is_bot_admin
from chatbot.platforms.base import Text
from chatbot.safetext import clean
from chatbot.storage.directory import DirectoryStore
from handlers.csv_file import read_csv_text

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
    text = await read_csv_text(ctx, "csvimport.", "directory.csv", MAX_CSV_BYTES)
    if text is None:
        return
    name = clean(attachment.name, 200) or "directory.csv"
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
