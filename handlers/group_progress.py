"""`/progress` in the group: the organisation's shared progress, aggregates only, a chart
of its daily snapshots, and a chart of where its audience (its followers on X) went."""

from __future__ import annotations

import asyncio
import datetime as dt

from chatbot.conversation import Context
from chatbot.i18n import Translator
from chatbot.networks.types import NetworkUnavailable
from chatbot.orgs.chart import progress_png
from chatbot.orgs.progress import record
from chatbot.orgs.render import chart_labels, in_languages, progress_text
from chatbot.orgs.store import OrgStore
from chatbot.platforms.base import Image, Text
from handlers.group_common import current_org, org_t
from handlers.match_counts import user_matches
from handlers.netchart_view import audience_reach, chart_image


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
    audience = found.audience
    if audience.missing or audience.unavailable is not None or not audience.followers:
        return
    assert org.audience_user_id is not None  # an audience was measured
    try:
        matches = await user_matches(ctx.services, org.audience_user_id)  # kept by `record`
    except NetworkUnavailable:  # the text above already said the network did not answer
        return
    reach = audience_reach(matches or [], audience.followers)
    title = t("netchart.org_title", name=org.name)
    caption = t("netchart.org_caption")
    await ctx.reply(await chart_image(t, reach, title, caption, audience=True))
