"""The chart of where the user's X network went (issue 15 item 7), sent after the match
counts (after an upload, and with /match), and the same for an organisation's audience in
/progress. Drawn off the event loop; its texts come from the user's (or the
organisation's) language, numbers with that locale's thousands separator."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from babel.numbers import get_group_symbol

from chatbot.conversation import Context
from chatbot.i18n import Translator
from chatbot.matching.model import NETWORKS, TIERS, Match
from chatbot.matching.reach import Reach, Side, reach_of
from chatbot.platforms.base import Image
from chatbot.summary.netchart import NetChartLabels, reach_png

_HEADINGS = {"following": "netchart.following", "followers": "netchart.followers"}
_AUDIENCE = {"followers": "netchart.audience"}


def chart_labels(
    t: Translator, reach: Reach, title: str, headings: dict[str, str] | None = None
) -> NetChartLabels:
    sides = []
    for side, total in reach.totals.items():
        found = reach.reached.get(side, 0)  # each account once, on any network
        key = (headings or _HEADINGS)[side] + ("" if total else "_unknown")
        # the plural agrees with the accounts found ("1 retrouvé", "3 retrouvés")
        sides.append(t.plural(key, found, found=t.number(found), total=t.number(total)))
    return NetChartLabels(
        title=title,
        sides=sides,
        networks=[t(f"match.network.{network}") for network in NETWORKS],
        tiers=[t(f"match.tier.{tier}") for tier in TIERS],
        thousands_separator=get_group_symbol(locale=t.locale),
        line=t("netchart.line", network="{network}", total="{total}", tiers="{tiers}"),
    )


async def chart_image(
    t: Translator, reach: Reach, title: str, caption: str, *, audience: bool = False
) -> Image:
    """The chart as a picture: the user's, or an organisation's `audience`."""
    labels = chart_labels(t, reach, title, _AUDIENCE if audience else None)
    png = await asyncio.to_thread(reach_png, reach, labels)
    return Image("audience.png" if audience else "network.png", png, caption)


async def send_user_chart(
    ctx: Context, found: Sequence[Match], totals: tuple[int, int] | None = None
) -> None:
    """The user's chart: both sides, after the counts (nothing when nothing was found).
    `totals`: (accounts followed, followers) on X, read from the stored archive if absent."""
    if not found:
        return
    if totals is None:
        counts = await ctx.services.archives.counts(ctx.user.id)
        totals = (counts.following or 0, counts.followers or 0) if counts else (0, 0)
    reach = reach_of(found, following=totals[0], followers=totals[1])
    await ctx.reply(await chart_image(ctx.t, reach, ctx.t("netchart.title"),
                                      ctx.t("netchart.caption")))  # fmt: skip


def audience_reach(found: Sequence[Match], followers: int) -> Reach:
    """An organisation's audience: its followers on X alone."""
    sides: tuple[Side, ...] = ("followers",)
    return reach_of(found, following=0, followers=followers, sides=sides)
