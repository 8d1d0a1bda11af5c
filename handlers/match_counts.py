"""Matching right after an archive upload: in the background, then counts per direction,
and the chart of where the network went (`handlers.netchart_view`).

The upload handler calls `refresh_names` for each file: the observations (which X id
went by which screen name, across users' archives) are refreshed at once; once the
user's files stop arriving, `start_matching` runs the matching as a background job of
that user (`services.jobs`) so the conversation stays responsive. A
network that does not answer gives a translated message pointing to /match; the summary
already sent is not affected.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TypeVar

from chatbot.archive import ParsedArchive
from chatbot.conversation import Context
from chatbot.i18n import Translator
from chatbot.matching import match_archive
from chatbot.matching.model import NETWORKS, TIERS, Match
from chatbot.networks import lookup_budget
from chatbot.networks.lookup_budget import LookupBudget
from chatbot.networks.types import NetworkUnavailable
from chatbot.platforms.base import Button, Text
from chatbot.secrets import SecretDecryptionError
from chatbot.services import Services
from chatbot.storage.directory import DecisionStore, DirectoryStore

log = logging.getLogger(__name__)

JOB = "match"
T = TypeVar("T")


async def run_matching(
    services: Services, user_id: int, parsed: ParsedArchive, budget: LookupBudget | None = None
) -> list[Match]:
    """Match `parsed` with the directory and the configured readers, within the user's
    lookup budget (`budget.capped` then names the services whose lookups were cut short).

    Raises `NetworkUnavailable` when a network did not answer (never partial results).
    """
    decisions = await DecisionStore(services.db).load(user_id)
    viewer = await _own_bluesky_did(services, user_id)
    budget = budget or await lookup_budget.start(services, user_id)
    try:
        with lookup_budget.metered(budget):
            return await match_archive(
                parsed,
                DirectoryStore(services.db),
                services.bluesky,
                services.mastodon,
                decisions=decisions,
                threads=services.threads,
                viewer=viewer,
            )
    finally:
        await lookup_budget.finish(services, user_id, budget)


async def _own_bluesky_did(services: Services, user_id: int) -> str | None:
    """The DID of the user's connected Bluesky account: the accounts it follows are
    accounts the user knows (graph evidence, `chatbot.matching.graph`)."""
    try:
        account = await services.accounts.get(user_id, "bluesky")
    except SecretDecryptionError:
        return None
    return account.did if account is not None else None


CACHE_S = 15 * 60  # how long the matches shown by /match and used by /follow stay fresh


async def user_matches(
    services: Services,
    user_id: int,
    *,
    fresh: bool = False,
    budget: LookupBudget | None = None,
    parsed: ParsedArchive | None = None,
) -> list[Match] | None:
    """The user's current matches (cached for a while on `services`); None without archive.

    `parsed`: the user's stored archive when the caller already loaded it (an
    organisation's millions of follower ids are unpacked once). Raises
    `NetworkUnavailable` when a network did not answer.
    """
    cached = services.match_cache.get(user_id)
    if not fresh and cached and time.monotonic() - cached[0] < CACHE_S:
        return cached[1]
    parsed = parsed or await services.archives.load(user_id)
    if parsed is None:
        return None
    found = await run_matching(services, user_id, parsed, budget)
    services.match_cache[user_id] = (time.monotonic(), found)
    return found


async def matches_or_explain(ctx: Context, *, fresh: bool = False) -> list[Match] | None:
    """The user's matches; None after telling them why there are none to work with
    (no archive yet, or a network that did not answer)."""
    budget = await lookup_budget.start(ctx.services, ctx.user.id)
    try:
        found = await user_matches(ctx.services, ctx.user.id, fresh=fresh, budget=budget)
    except NetworkUnavailable as exc:
        await say_network_down(ctx, exc)
        return None
    if found is None:
        await ctx.say("match.need_archive")
    elif budget.capped or budget.skipped:
        await ctx.reply(Text("\n".join(budget_notices(ctx.t, budget))))
    return found


async def refresh_names(
    ctx: Context, parsed: ParsedArchive, previous: ParsedArchive | None = None
) -> None:
    """Refresh the observations with this archive's names (and those of the `previous`
    archive: a replaced archive stops counting)."""
    ids = set(parsed.handles) | set(previous.handles if previous else ())
    await DirectoryStore(ctx.services.db).refresh_observations(sorted(ids))


async def start_matching(ctx: Context, parsed: ParsedArchive) -> None:
    """Match in the background, when the archive lists anyone to look for."""
    if not (len(parsed.following) or len(parsed.followers)):
        return
    await ctx.say("match.found.searching")
    ctx.services.jobs.spawn(JOB, ctx.user.id, _match_and_report(ctx, parsed))


async def _match_and_report(ctx: Context, parsed: ParsedArchive) -> None:
    budget = await lookup_budget.start(ctx.services, ctx.user.id)
    try:
        found = await run_matching(ctx.services, ctx.user.id, parsed, budget)
    except NetworkUnavailable as exc:
        log.info("matching after upload: %s", exc)
        await ctx.say("match.found.network_down", network=network_name(ctx.t, exc.network))
        return
    except Exception:
        log.exception("matching after upload failed")
        await ctx.say("match.found.failed")
        return
    lines = render_counts(ctx.t, found)
    lines += budget_notices(ctx.t, budget)
    lines += await circle_hint(ctx.services, ctx.user.id, ctx.t, found)
    if not found:
        note = bare_ids_note(ctx.t, parsed)  # nothing found: say why when names lack
        lines += [note, ctx.t("match.found.none")] if note else [ctx.t("match.found.none")]
    else:
        lines.append(ctx.t("match.found.pointer"))
    buttons: tuple[tuple[Button, ...], ...] = ()
    if not ctx.user.notify_matches:
        buttons = ((Button(ctx.t("match.notify.button"), "notify:on"),),)
    await ctx.reply(Text("\n".join(lines), buttons=buttons))
    from handlers.netchart_view import send_user_chart  # Pillow: only once there is a chart

    await send_user_chart(ctx, found, (len(parsed.following), len(parsed.followers)))


async def circle_hint(
    services: Services, user_id: int, t: Translator, found: list[Match]
) -> list[str]:
    """Bluesky matches left "possible" while the user has not connected Bluesky: the
    accounts they follow there would be their circle (`chatbot.matching.graph`)."""
    possible = sum(m.network == "bluesky" and m.tier == "possible" for m in found)
    if not possible or await _own_bluesky_did(services, user_id):
        return []
    return [t.plural("match.circle_hint", possible)]


def budget_notices(t: Translator, budget: LookupBudget) -> list[str]:
    """What was not searched this time: lookups cut short, networks that did not answer."""
    notices = [capped_notice(t, budget)] if budget.capped else []
    if budget.skipped:
        networks = ", ".join(network_name(t, n) for n in sorted(budget.skipped))
        notices.append(t("match.skipped", networks=networks))
    return notices


def bare_ids_note(t: Translator, parsed: ParsedArchive) -> str | None:
    """When no name is known, only people who linked their X account can be found: say
    why, and what to send."""
    if parsed.handles:
        return None
    missing = [w for w in parsed.warnings if w.startswith(_NO_POSTS)]
    if missing or parsed.counts.tweets is None:  # no posts file was ever sent
        name = missing[0].partition(":")[2] if missing else ""
        if name not in ("tweet.js", "tweets.js"):  # loose files: the era is not known
            name = t("archive.posts_file_either")
        return t("match.bare.no_posts", file=name)
    return t("match.bare.no_names")


_NO_POSTS = ("archive.warning.no_tweets_file", "archive.warning.only_tweet_headers")


async def say_network_down(ctx: Context, exc: NetworkUnavailable) -> None:
    """A network did not answer: the work is unfinished everywhere (the next network is
    not tried), and the user sends the command they sent again (not always /match)."""
    command = f"/{ctx.message.command or 'match'}"
    await ctx.say("match.network_down", network=network_name(ctx.t, exc.network), command=command)


def capped_notice(t: Translator, budget: LookupBudget) -> str:
    """Lookups were cut short by the user's budget: where, and what to do."""
    networks = ", ".join(network_name(t, n) for n in sorted(budget.capped))
    return t.plural("match.capped", budget.per_run, networks=networks)


def network_name(t: Translator, network: str) -> str:
    return t(f"match.network.{network}") if network in NETWORKS else network


def tier_counts(t: Translator, matches: Iterable[Match]) -> list[str]:
    """``Bluesky: 2 verified, 1 possible`` per network that has any."""
    per: dict[tuple[str, str], int] = {}
    for m in matches:
        per[m.network, m.tier] = per.get((m.network, m.tier), 0) + 1
    lines = []
    for network in NETWORKS:
        shown = [
            t.plural(f"match.counts.{tier}", per[network, tier])
            for tier in TIERS
            if per.get((network, tier))
        ]
        if shown:
            network_name = t(f"match.network.{network}")
            lines.append(
                t("match.counts.network_line", network=network_name, tiers=", ".join(shown))
            )
    return lines


def render_counts(t: Translator, found: list[Match]) -> list[str]:
    """Counts per network and tier, for the accounts followed and for the followers."""
    lines: list[str] = []
    for title, wanted, nobody in (
        ("match.found.following", ("following", "both"), "match.found.nobody"),
        ("match.found.followers", ("follower", "both"), "match.found.nobody_followers"),
    ):
        lines.append(t(title))
        counted = tier_counts(t, (m for m in found if m.direction in wanted))
        lines += [f"  {line}" for line in counted] or [f"  {t(nobody)}"]
    return lines
