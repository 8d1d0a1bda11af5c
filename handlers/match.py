"""`/match`: counts per tier and network, the chart of where the network went, the verified
matches, then a paged review of the likely and possible ones.

Verified matches are what `/follow` follows without asking, so they are shown first, a page
at a time in one message, each with a button to reject it. The review then asks, one match
at a time, "same person?" for the likely and possible ones.

Buttons (numbered replies where the platform has none): ``m:c:<x_id>:<b|m>:<tag>`` confirms,
``m:r:...`` rejects, ``m:v:<page>`` and ``m:p:<page>`` show the next page of verified matches
or of the review. `<tag>` is a short hash of the target (DID or acct), so the data stays far
below Telegram's 64 bytes. Decisions are stored (`DecisionStore`) and never asked again;
rejecting a match the directory supports also reports it to the bot's administrators
(`handlers.match_reports`).

Network readers are ``services.bluesky`` / ``services.mastodon``; without them (offline)
the matching uses the directory alone (a handle guessed from a name is never a match). A
network that does not answer gives a translated message; the user sends /match again later.
"""

from __future__ import annotations

import hashlib

from chatbot.conversation import Context
from chatbot.matching.model import Decision, Match
from chatbot.matching.present import HANDLE_LIMIT, match_lines
from chatbot.platforms.base import Button, Text
from chatbot.safetext import display
from chatbot.services import Services
from chatbot.storage.directory import DecisionStore
from chatbot.storage.reports import ReportStore, from_directory
from handlers.match_counts import (
    bare_ids_note,
    circle_hint,
    matches_or_explain,
    render_counts,
)
from handlers.netchart_view import send_user_chart

PAGE = 5


def forget_cached(services: Services, user_id: int) -> None:
    """Drop the matches kept for the user's review pages (after a decision)."""
    services.match_cache.pop(user_id, None)


def forget_user(services: Services, user_id: int) -> None:
    """After /forget: the user's kept matches, and everyone's (their links are gone)."""
    forget_cached(services, user_id)
    directory_changed(services)


def directory_changed(services: Services) -> None:
    """A source was retracted or its weight changed (an organisation deleted, approved or
    revoked, a report acted on): nobody's kept matches may still show what it supported."""
    services.match_cache.clear()


def tag(match: Match) -> str:
    return hashlib.blake2s(match.target.encode(), digest_size=4).hexdigest()


def data(action: str, match: Match) -> str:
    return f"m:{action}:{match.x_id}:{match.network[0]}:{tag(match)}"


def to_review(matches: list[Match]) -> list[Match]:
    """Likely and possible matches the user has not decided on yet."""
    return [m for m in matches if m.tier != "verified" and not m.confirmed]


def verified(matches: list[Match]) -> list[Match]:
    return [m for m in matches if m.tier == "verified"]


async def match(ctx: Context) -> None:
    found = await matches_or_explain(ctx, fresh=True)
    if found is None:
        return
    if not found:
        parsed = await ctx.services.archives.load(ctx.user.id)
        if parsed is not None and not (len(parsed.following) or len(parsed.followers)):
            classic = parsed.era == "classic"  # an old tweet archive: a new one has them
            await ctx.say("match.need_lists_classic" if classic else "match.need_lists")
            return
        note = bare_ids_note(ctx.t, parsed) if parsed is not None else None
        lines = [ctx.t("match.none"), *([note] if note else []), ctx.t("match.found.none")]
        await ctx.reply(Text("\n".join(lines)))
        return
    lines = [ctx.t("match.counts.title"), *render_counts(ctx.t, found)]
    lines += await circle_hint(ctx.services, ctx.user.id, ctx.t, found)
    await ctx.reply(Text("\n".join(lines)))
    await send_user_chart(ctx, found)
    if verified(found):
        await _verified_page(ctx, found, 0)
    await _page(ctx, found, 0)


async def _verified_page(ctx: Context, found: list[Match], page: int) -> None:
    """One message: a page of verified matches, each with a button to reject it."""
    shown = verified(found)
    start = page * PAGE
    items = shown[start : start + PAGE]
    if not items:
        await ctx.say("match.review.gone")
        return
    lines = [ctx.t("match.verified.header", start=start + 1, end=start + len(items),
                   total=len(shown), command="/follow")]  # fmt: skip
    buttons: list[tuple[Button, ...]] = []
    for number, item in enumerate(items, start + 1):
        head, *reasons = match_lines(ctx.t, item)
        lines += [f"{number}. {head}", *reasons]
        label = ctx.t("match.button.reject_number", number=number)
        buttons.append((Button(label, data("r", item)),))
    if start + PAGE < len(shown):
        buttons.append((Button(ctx.t("match.button.next"), f"m:v:{page + 1}"),))
    await ctx.reply(Text("\n".join(lines), buttons=tuple(buttons)))


async def _page(ctx: Context, found: list[Match], page: int) -> None:
    pending = to_review(found)
    if not pending:
        await ctx.say("match.review.none")
        return
    start = page * PAGE
    items = pending[start : start + PAGE]
    if not items:
        await ctx.say("match.review.none")
        return
    await ctx.say("match.review.header", start=start + 1, end=start + len(items),
                  total=len(pending))  # fmt: skip
    for item in items:
        buttons = (
            (
                Button(ctx.t("match.button.confirm"), data("c", item)),
                Button(ctx.t("match.button.reject"), data("r", item)),
            ),
        )
        await ctx.reply(Text("\n".join(match_lines(ctx.t, item)), buttons=buttons))
    if start + PAGE < len(pending):
        next_page = ((Button(ctx.t("match.button.next"), f"m:p:{page + 1}"),),)
        await ctx.reply(Text(ctx.t("match.review.more"), buttons=next_page))


async def pressed(ctx: Context) -> None:
    parts = (ctx.message.callback or "").split(":")
    found = await matches_or_explain(ctx)
    if found is None:
        return
    if len(parts) == 3 and parts[1] in ("p", "v") and parts[2].isdigit():
        pages = _page if parts[1] == "p" else _verified_page
        await pages(ctx, found, int(parts[2]))
        return
    if len(parts) != 5 or parts[1] not in ("c", "r") or not parts[2].isdigit():
        return
    x_id, net, wanted = int(parts[2]), parts[3], parts[4]
    hit = next(
        (m for m in found if m.x_id == x_id and m.network[0] == net and tag(m) == wanted), None
    )
    if hit is None:
        await ctx.say("match.review.gone")
        return
    decision: Decision = "confirmed" if parts[1] == "c" else "rejected"
    await DecisionStore(ctx.services.db).decide(
        ctx.user.id, hit.x_id, hit.network, hit.target, decision
    )
    forget_cached(ctx.services, ctx.user.id)  # the next list reflects the decision
    handle = display(hit.handle or hit.target, HANDLE_LIMIT)
    if decision == "rejected" and from_directory(hit):
        await ReportStore(ctx.services.db).report(ctx.user.id, hit.x_id, hit.network, hit.target)
        await ctx.say("match.review.reported", handle=handle)
        return
    await ctx.say(f"match.review.{decision}", handle=handle)
