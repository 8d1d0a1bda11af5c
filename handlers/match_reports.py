"""`/reports` (bot administrators): the directory links users reported as wrong, and their
retraction with ``/reports retract ID`` (threat model §4.2 D6).

Retracting deletes every directory row behind the link, from every source, so nobody is
offered it again; an organisation whose vouch was among them loses its approval. The kept
matches of every user are dropped at once (`handlers.match.directory_changed`).
"""

from __future__ import annotations

from chatbot.conversation import Context
from chatbot.matching.present import HANDLE_LIMIT
from chatbot.platforms.base import Text
from chatbot.safetext import display, x_screen_name
from chatbot.storage.reports import ReportStore
from handlers.match import directory_changed
from handlers.match_counts import network_name

MAX_LISTED = 20


async def reports(ctx: Context) -> None:
    args = [arg.lower() for arg in ctx.args]
    store = ReportStore(ctx.services.db)
    if len(args) == 2 and args[0] == "retract" and args[1].isdigit():
        done = await store.retract(int(args[1]))
        if done is None:
            await ctx.say("reports.not_found", id=args[1])
            return
        directory_changed(ctx.services)
        await ctx.say("reports.retracted", count=done.rows)
        for org_id in done.revoked_orgs:
            await ctx.say("reports.org_revoked", id=org_id)
        return
    if args:
        await ctx.say("reports.usage", command="/reports retract ID")
        return
    found = await store.most_reported(MAX_LISTED)
    if not found:
        await ctx.say("reports.none")
        return
    lines = [ctx.t("reports.title")]
    for item in found:
        name = x_screen_name(item.x_username)
        lines.append(
            ctx.t(
                "reports.line",
                id=item.id,
                x_account=f"@{name}" if name else str(item.x_id),
                network=network_name(ctx.t, item.network),
                target=display(item.target, HANDLE_LIMIT),
                reporters=ctx.t.plural("reports.reporters", item.reporters),
                sources=", ".join(ctx.t(f"reports.source.{s}") for s in item.sources) or "-",
            )
        )
    lines.append(ctx.t("reports.usage", command="/reports retract ID"))
    await ctx.reply(Text("\n".join(lines)))
