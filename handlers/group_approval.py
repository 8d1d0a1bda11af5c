"""When an organisation's roster may vouch: its own account proved, then the operators' approval.

Anyone can create a group and call it an organisation, so its roster is a claim until two
things hold (threat model §4.2 D4):

1. ``/group account check`` (a group administrator): the organisation's own Bluesky or
   Mastodon account carries, in its bio, the code the bot gave when it was set with
   ``/group account``; the account is read fresh, never from the matching's cache;
2. ``/orgs approve ID`` (a bot administrator, ``CHATBOT_ADMINS``, in private): only for an
   organisation with a proved account. ``/orgs`` lists the organisations, ``/orgs revoke
   ID`` takes the approval back. A new account (``/group account``) ends the approval.

Even approved, a vouch alone makes a match "likely": it is followed automatically only when
the owner of the new account proved it too (`chatbot.matching.spoofing`).
"""

from __future__ import annotations

import datetime as dt

from chatbot.conversation import Context
from chatbot.matching.proofs import code_in_profile
from chatbot.networks.types import NetworkUnavailable
from chatbot.orgs.store import OrgAccount, Organisation, OrgStore
from chatbot.platforms.base import Text
from chatbot.safetext import display
from handlers.group_common import org_t, say
from handlers.link import fetch_fresh, reader_missing
from handlers.match import directory_changed
from handlers.match_counts import network_name

MAX_LISTED = 30  # organisations per /orgs answer


async def check_accounts(ctx: Context, org: Organisation) -> None:
    """``/group account check``: look for the code in the bio of each account not proved."""
    t = org_t(ctx, org)
    store = OrgStore(ctx.services.db)
    accounts = await store.own_accounts(org.id)
    if not accounts:
        await say(ctx, t, "org.account.check.none", command="/group account")
        return
    for account in accounts:
        network, handle = network_name(t, account.network), display(account.handle)
        if account.proved_at is not None:
            await say(ctx, t, "org.account.check.proved", network=network, handle=handle)
        elif reader_missing(ctx, account.network):
            await say(ctx, t, "link.offline")
        else:
            await _check_one(ctx, org, account)


async def _check_one(ctx: Context, org: Organisation, account: OrgAccount) -> None:
    t = org_t(ctx, org)
    network, handle = network_name(t, account.network), display(account.handle)
    try:
        found = await fetch_fresh(ctx, account.network, account.handle)
    except NetworkUnavailable:
        await say(ctx, t, "link.network_down", network=network)
        return
    if found is None or not account.code or not code_in_profile(found, account.code):
        await say(ctx, t, "org.account.check.missing", handle=handle, code=account.code or "?")
        return
    await OrgStore(ctx.services.db).prove_account(org.id, account.network, _now())
    await say(ctx, t, "org.account.check.proved", network=network, handle=handle)


async def orgs(ctx: Context) -> None:
    """``/orgs``, ``/orgs approve ID``, ``/orgs revoke ID`` (bot administrators)."""
    args = [arg.lower() for arg in ctx.args]
    if not args:
        await _list(ctx)
        return
    if len(args) != 2 or args[0] not in ("approve", "revoke") or not args[1].isdigit():
        await ctx.say("orgs.usage")
        return
    store = OrgStore(ctx.services.db)
    org = await store.get(int(args[1]))
    if org is None or org.removed_at is not None:
        await ctx.say("orgs.not_found", id=args[1])
        return
    name = display(org.name)
    if args[0] == "revoke":
        await store.set_approval(org.id, None, _now())
        await ctx.say("orgs.revoked", name=name, id=org.id)
    elif not any(a.proved_at for a in await store.own_accounts(org.id)):
        await ctx.say("orgs.needs_proof", name=name, command="/group account check")
        return
    else:
        admin = f"{ctx.platform.name}:{ctx.message.user.user_id}"
        await store.set_approval(org.id, admin, _now())
        await ctx.say("orgs.approved", name=name, id=org.id)
    directory_changed(ctx.services)  # what the roster vouches for counts differently now


async def _list(ctx: Context) -> None:
    store = OrgStore(ctx.services.db)
    listed = await store.active()
    if not listed:
        await ctx.say("orgs.none")
        return
    lines = [ctx.t("orgs.title")]
    for org in sorted(listed, key=lambda o: (o.approved, o.id))[:MAX_LISTED]:
        accounts = [
            ctx.t(
                "orgs.account_proved" if a.proved_at else "orgs.account_unproved",
                network=network_name(ctx.t, a.network),
                handle=display(a.handle),
            )
            for a in await store.own_accounts(org.id)
        ]
        lines.append(
            ctx.t(
                "orgs.line_approved" if org.approved else "orgs.line",
                id=org.id,
                name=display(org.name),
                platform=org.platform,
                accounts=", ".join(accounts) or ctx.t("orgs.no_account"),
                roster=ctx.t.plural("orgs.roster_rows", len(await store.roster(org.id))),
            )
        )
    if len(listed) > MAX_LISTED:
        lines.append(ctx.t.plural("orgs.more", len(listed) - MAX_LISTED))
    lines.append(ctx.t("orgs.usage"))
    await ctx.reply(Text("\n".join(lines)))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
