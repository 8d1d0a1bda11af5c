"""The organisation's official accounts (a roster CSV) and its X audience (its archive).

``/group roster`` in the group: the admin sends the CSV in the private chat within ten
minutes (`services.pending`). The file is all or nothing: any problem is reported with
its line number and nothing changes. ``/group audience``: the admin's archive, sent in
private, is the organisation's; its followers are the audience measured by /progress.
"""

from __future__ import annotations

from chatbot.conversation import Context
from chatbot.orgs.publish import publish_roster
from chatbot.orgs.roster_csv import parse_roster_csv
from chatbot.orgs.store import Organisation, OrgStore
from chatbot.platforms.base import Text
from chatbot.safetext import clean
from handlers.csv_file import read_csv_text
from handlers.group_common import need_private, org_t, private_chat, say
from handlers.match import directory_changed

STEP = "org_roster_csv"
MAX_CSV_BYTES = 5 * 1024**2
SHOWN_PROBLEMS = 20


async def roster(ctx: Context, org: Organisation) -> None:
    t = org_t(ctx, org)
    private = await private_chat(ctx)
    if private is None:
        await need_private(ctx, t)
        return
    await ctx.services.pending.expect(ctx.user_key, STEP, org_id=org.id)
    minutes = int(ctx.services.pending.ttl_s // 60)
    text = ctx.t("org.roster_csv.send", name=org.name, minutes=minutes,
                 columns="x_username,bluesky,mastodon,x_id")  # fmt: skip
    await ctx.reply(Text(text), chat=private)
    await say(ctx, t, "org.roster_csv.asked")


async def expecting_csv(ctx: Context) -> int | None:
    """The organisation whose roster the file just received is (consumes the wait)."""
    taken = await ctx.services.pending.take(ctx.user_key, STEP)
    return None if taken is None else int(taken.data["org_id"])


async def csv_received(ctx: Context, org_id: int) -> None:
    org = await OrgStore(ctx.services.db).get(org_id)
    attachment = ctx.message.attachment
    if org is None or attachment is None:
        await ctx.say("org.roster_csv.gone")
        return
    text = await read_csv_text(ctx, "org.roster_csv.", "roster.csv", MAX_CSV_BYTES)
    if text is None:
        return
    rows, problems = parse_roster_csv(text)
    if problems:
        lines = [ctx.t.plural("org.roster_csv.rejected", len(problems))]
        for problem in problems[:SHOWN_PROBLEMS]:
            value = clean(problem.value, 64)  # the file's own text, on one line
            reason = ctx.t(f"org.roster_csv.problem.{problem.code}", value=value)
            lines.append(ctx.t("org.roster_csv.line", line=problem.line, reason=reason))
        if len(problems) > SHOWN_PROBLEMS:
            lines.append(ctx.t("org.roster_csv.more", count=len(problems) - SHOWN_PROBLEMS))
        await ctx.reply(Text("\n".join(lines)))
        return
    published = await publish_roster(ctx.services.db, org, rows)
    directory_changed(ctx.services)  # the rows it replaced supported other users' matches
    without_id = sum(1 for row in rows if row.x_id is None)
    text = ctx.t.plural("org.roster_csv.imported", len(rows), name=org.name,
                        entries=published, without_id=without_id)  # fmt: skip
    await ctx.reply(Text(text))


async def audience(ctx: Context, org: Organisation) -> None:
    t = org_t(ctx, org)
    parsed = await ctx.services.archives.load(ctx.user.id)
    if parsed is None:
        await say(ctx, t, "org.audience.need_archive", command="/group audience")
        return
    await OrgStore(ctx.services.db).set_audience(org.id, ctx.user.id)
    await say(ctx, t, "org.audience.set", name=org.name, count=t.number(len(parsed.followers)))
