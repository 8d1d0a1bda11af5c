"""`/follow bluesky|mastodon|threads [verified|likely]`, `/status`, `/pause`, `/resume`,
`/cancel`.

Follows run as background jobs (`chatbot.migration.jobs.JobRunner`) whose state lives in
the database; this module only chooses the targets and talks to the user. By default it
follows the eligible matches (verified ones, and the ones the user confirmed, whatever
their tier: the user's word counts) among the accounts the user followed on X;
``verified`` narrows to verified matches, ``likely`` adds every likely match. A match the
user rejected never reaches this module (`apply_decisions` drops it).

Nothing is followed unseen: `/follow` shows a preview (how many, the first ones, the whole
list as a file), and the job starts only when the user presses "Start"
(``fw:go:<network>:<choice>:<digest>``). The digest names the list that was shown: if the
matches changed meanwhile (a source retracted, a decision, another process's matching),
the user gets the new preview instead of a job.

Threads accounts (``user@threads.net``, only those whose owners opted in to the fediverse)
are followed from the user's connected Mastodon account: ``/follow threads`` runs a
Mastodon follow job of those accts (the server resolves each through its search).
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from chatbot.conversation import Context
from chatbot.matching.model import Match
from chatbot.matching.present import headline
from chatbot.migration.budget import estimate_hours
from chatbot.migration.export import ExportFile, matches_csv
from chatbot.migration.job_view import render_job
from chatbot.migration.jobs import JobRunner
from chatbot.migration.writers import ExpiredError, WriterError, close_writer
from chatbot.orgs.store import OrgStore
from chatbot.platforms.base import Button, Text
from chatbot.services import Services
from chatbot.storage.links import UserLinks
from chatbot.undo.store import UndoStore
from handlers.export import send_files
from handlers.match_counts import matches_or_explain

NETWORKS = ("bluesky", "mastodon", "threads")
# the account that follows on each network: Threads accounts from the Mastodon one
ACCOUNT_OF = {"bluesky": "bluesky", "mastodon": "mastodon", "threads": "mastodon"}
MASTODON_API_MAX = 400  # follows per day through the API; more: the CSV import
PREVIEW = 10  # matches listed in the preview; all of them in the file beyond that


def runner(services: Services, ctx: Context | None = None) -> JobRunner:
    """The process's job runner (created on first use, e.g. on the console and in tests)."""
    if services.follow_jobs is None:
        services.follow_jobs = JobRunner(services)
    jobs: JobRunner = services.follow_jobs
    if ctx is not None:
        jobs.platforms.setdefault(ctx.platform.name, ctx.platform)
    return jobs


def chosen(found: list[Match], network: str, tier: str | None) -> list[Match]:
    """The matches to follow among the accounts the user followed on X, one per target."""
    picked: dict[str, Match] = {}
    for match in found:
        if match.network != network or match.direction == "follower":
            continue
        if tier == "verified":
            ok = match.tier == "verified"
        elif tier == "likely":
            ok = match.tier in ("verified", "likely") or match.confirmed
        else:
            ok = match.eligible_for_auto_follow  # verified, or confirmed whatever its tier
        target = match.did if network == "bluesky" else match.acct
        if ok and target and target not in picked:
            picked[target] = match
    return list(picked.values())


def choose(found: list[Match], network: str, tier: str | None) -> list[str]:
    """The targets (DIDs or accts) among the accounts the user followed on X."""
    return [_target(match) for match in chosen(found, network, tier)]


def _target(match: Match) -> str:
    return str(match.did if match.network == "bluesky" else match.acct)


def digest(targets: list[str]) -> str:
    """A short name of exactly this list of targets (the one the preview showed)."""
    return hashlib.blake2s("\n".join(targets).encode(), digest_size=6).hexdigest()


async def follow(ctx: Context) -> None:
    args = [arg.lower() for arg in ctx.args]
    if not args or args[0] not in NETWORKS or (len(args) > 1 and args[1] not in (
            "verified", "likely", "anyway")):  # fmt: skip
        await ctx.say("follow.usage")
        return
    network = args[0]
    tier = args[1] if len(args) > 1 and args[1] != "anyway" else None
    jobs = runner(ctx.services, ctx)
    if await _running(ctx, jobs, ACCOUNT_OF[network]):
        return
    found = await matches_or_explain(ctx)
    if found is None:
        return
    picked = chosen(found, network, tier)
    if not picked:
        await ctx.say("follow.none", network=ctx.t(f"follow.network.{network}"))
        return
    if not await _connected(ctx, jobs, ACCOUNT_OF[network]):
        return
    api_limited = ACCOUNT_OF[network] == "mastodon" and len(picked) > MASTODON_API_MAX
    if api_limited and "anyway" not in args:
        days = math.ceil(len(picked) / MASTODON_API_MAX)
        await ctx.say("follow.mastodon_large", count=len(picked), days=days)
        return
    await _preview(ctx, network, tier, picked)


async def _running(ctx: Context, jobs: JobRunner, network: str) -> bool:
    if any(job.kind == f"follow_{network}" for job in await jobs.store.for_user(ctx.user.id)):
        await ctx.say("follow.already_running")
        return True
    return False


async def _connected(ctx: Context, jobs: JobRunner, network: str) -> bool:
    """Whether the user's account on `network` works (after telling them when not)."""
    try:
        writer = await jobs.writer_factory(ctx.services, ctx.user.id, network)
    except ImportError:
        writer = None
    except ExpiredError:
        await ctx.say("follow.error.expired")
        return False
    except WriterError:  # the account's server did not answer
        await ctx.say("follow.server_down", command=f"/follow {network}")
        return False
    if writer is None:
        await ctx.say("follow.not_connected", network=ctx.t(f"follow.network.{network}"),
                      command=f"/connect {network}")  # fmt: skip
        return False
    await close_writer(writer)  # it proved the account works; the job opens its own
    return True


async def _preview(ctx: Context, network: str, tier: str | None, picked: list[Match]) -> None:
    """Whom the job will follow: the count, the first ones, the whole list as a file."""
    t = ctx.t
    targets = [_target(match) for match in picked]
    lines = [t.plural("follow.preview.title", len(picked),
                      network=t(f"follow.network.{network}"))]  # fmt: skip
    lines += [f"• {headline(t, match)}" for match in picked[:PREVIEW]]
    if len(picked) > PREVIEW:
        lines.append(t.plural("follow.preview.more", len(picked) - PREVIEW))
    choice = {"verified": "v", "likely": "l"}.get(tier or "", "e")
    buttons = (
        (Button(t("follow.preview.start"), f"fw:go:{network}:{choice}:{digest(targets)}"),),
        (Button(t("follow.preview.cancel"), "fw:no"),),
    )
    if len(picked) > PREVIEW:
        caption = t.plural("follow.preview.file", len(picked))
        file = ExportFile(f"follow-{network}.csv", matches_csv(t, picked), "text/csv")
        await send_files(ctx, [(file, caption)])
    await ctx.reply(Text("\n".join(lines), buttons=buttons))


async def pressed(ctx: Context) -> None:
    """``fw:go:<network>:<e|v|l>:<digest>`` starts the job shown; ``fw:no`` drops it."""
    parts = (ctx.message.callback or "").split(":")
    if parts[:2] == ["fw", "no"]:
        await ctx.say("follow.preview.cancelled")
        return
    if len(parts) != 5 or parts[1] != "go" or parts[2] not in NETWORKS:
        await ctx.say("error.stale_button")
        return
    network, tier = parts[2], {"v": "verified", "l": "likely"}.get(parts[3])
    account = ACCOUNT_OF[network]
    jobs = runner(ctx.services, ctx)
    if await _running(ctx, jobs, account):
        return
    found = await matches_or_explain(ctx)  # kept since the preview (or matched again)
    if found is None:
        return
    picked = chosen(found, network, tier)
    targets = [_target(match) for match in picked]
    if not targets or digest(targets) != parts[4]:
        await ctx.say("follow.preview.changed")
        if picked:
            await _preview(ctx, network, tier, picked)
        return
    await jobs.submit(ctx.user.id, account, targets, await follow_params(ctx, account))
    t = ctx.t
    if network == "bluesky":
        hours = max(1, math.ceil(estimate_hours(len(targets), jobs.options.headroom)))
        text = t.plural("follow.started.bluesky", len(targets), hours=hours)
    else:
        days = t.plural("follow.days", math.ceil(len(targets) / MASTODON_API_MAX))
        text = t.plural(f"follow.started.{network}", len(targets), days=days)
    await ctx.reply(Text(text))


async def follow_params(ctx: Context, network: str) -> dict[str, Any]:
    """The job's "self" (the user's own accounts: never followed), "account" (the one
    following) and, on Bluesky for a member of an organisation, "via" (its pack)."""
    services, user_id = ctx.services, ctx.user.id
    account = await services.accounts.get(user_id, network)
    own = [e.target for e in await UserLinks(services.db).of_user(user_id) if e.network == network]
    if account is not None:
        own.append((account.did if network == "bluesky" else account.handle) or "")
    params: dict[str, Any] = {"self": [o for o in dict.fromkeys(own) if o]}
    if account is not None:
        params["account"] = account.did if network == "bluesky" else account.handle
    if network == "bluesky":
        orgs = await OrgStore(services.db).orgs_of_user(user_id)
        via = await UndoStore(services.db).org_pack([org.id for org in reversed(orgs)])
        if via is not None:
            params["via"] = via
    return params


async def status(ctx: Context) -> None:
    jobs = runner(ctx.services, ctx)
    active = await jobs.store.for_user(ctx.user.id)
    latest = await jobs.store.latest(ctx.user.id)
    shown = active or ([latest] if latest else [])
    if not shown:
        await ctx.say("follow.status.none")
        return
    rendered = [
        render_job(
            ctx.t, job, reasons=await jobs.store.skip_reasons(job.id) if job.skipped else None
        )
        for job in shown
    ]
    await ctx.say("follow.status.list", jobs="\n\n".join(rendered))


async def pause(ctx: Context) -> None:
    changed = await runner(ctx.services, ctx).pause(ctx.user.id)
    await ctx.say("follow.paused" if changed else "follow.nothing_running")


async def resume(ctx: Context) -> None:
    changed = await runner(ctx.services, ctx).resume(ctx.user.id)
    await ctx.say("follow.resumed" if changed else "follow.nothing_paused")


async def cancel(ctx: Context) -> None:
    changed = await runner(ctx.services, ctx).cancel(ctx.user.id)
    await ctx.say("follow.cancelled" if changed else "follow.nothing_running")
