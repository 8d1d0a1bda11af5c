"""`/progress` in the group: the organisation's shared progress, aggregates only, and a chart
of its daily snapshots."""

from __future__ import annotations

import asyncio
import datetime as dt

from chatbot.conversation import Context
from chatbot.i18n import Translator
from chatbot.orgs.chart import progress_png
from chatbot.orgs.progress import record
from chatbot.orgs.render import chart_labels, in_languages, progress_text
from chatbot.orgs.store import OrgStore
from chatbot.platforms.base import Image, Text
from handlers.group_common import current_org, org_t


async def progress(ctx: Context) -> None:
    org = await current_org(ctx)
    if org is None:
        return
    found = await record(ctx.services, org, dt.datetime.now(dt.UTC).date())

    def render(t: Translator) -> str:
        return progress_text(t, org.name, found)

    await ctx.reply(Text(in_languages(org.languages, render)))
    snapshots = await OrgStore(ctx.services.db).snapshots(org.id)
    t = org_t(ctx, org)
    png = await asyncio.to_thread(progress_png, snapshots, chart_labels(t, org.name))
    await ctx.reply(Image("progress.png", png, t("org.chart.caption")))
