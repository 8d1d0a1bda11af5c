"""Members join their organisation: `/join` in the group, then the private chat.

Telegram: the group gets a deep link; the private ``/start join_<token>`` links the member.
Matrix: the bot opens a private room, links the member at once and writes there. In the
private chat the member chooses whether their new handles are listed in the roster.
`/leave` (group or private) removes them; `chat_event` follows the bot's own membership
and people leaving the group.

A join link is a bearer token, and links get forwarded (threat model §4.12): it grants
nothing to someone who is not in the group at the time of use (asked of the platform),
it expires after CHATBOT_JOIN_LINK_HOURS (`/join` issues a fresh one when it is in its
last quarter), ``/group newlink`` replaces it at once, and leaving or being removed from
the group ends the membership and the roster listing.
"""

from __future__ import annotations

import datetime as dt
import re

from chatbot.conversation import Context
from chatbot.orgs.publish import publish_listed, withdraw_member
from chatbot.orgs.store import Organisation, OrgStore
from chatbot.platforms.base import Button, ChatEvent, ChatRef, Text
from handlers.group_common import current_org, org_t, say

JOIN_PREFIX = "join_"
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,59}")  # fits a deep link: 64 characters with the prefix


async def join(ctx: Context) -> None:
    org = await current_org(ctx)
    if org is None:
        return
    t = org_t(ctx, org)
    private = await ctx.platform.open_private_chat(ctx.message.user)
    if private is not None:  # Matrix: link now, continue in the private room
        await _joined(ctx, org, private)
        await say(ctx, t, "org.join.wrote_privately")
        return
    token = await _fresh_token(ctx, org)
    link = ctx.platform.private_chat_link(ctx.message.user, JOIN_PREFIX + token)
    if link:
        await say(ctx, t, "org.join.link", link=link)
    else:
        await say(ctx, t, "org.join.command", command=f"/start {JOIN_PREFIX}{token}")


async def new_link(ctx: Context, org: Organisation) -> None:
    """``/group newlink`` (admins): a new join token; every earlier link stops working."""
    await OrgStore(ctx.services.db).rotate_join_token(org.id)
    await say(ctx, org_t(ctx, org), "org.join.rotated", join="/join")


async def start_join(ctx: Context, payload: str) -> None:
    """The private ``/start join_<token>`` of a deep link (or typed by the member)."""
    token = payload.removeprefix(JOIN_PREFIX)
    org = await OrgStore(ctx.services.db).by_token(token) if TOKEN.fullmatch(token) else None
    if org is None or org.platform != ctx.platform.name or _expired(ctx, org):
        await ctx.say("org.join.bad_token")
        return
    if not await in_group(ctx, org):
        await ctx.say("org.join.not_member", join="/join")
        return
    await _joined(ctx, org, ctx.chat)


def _lifetime(ctx: Context) -> dt.timedelta:
    return dt.timedelta(hours=ctx.services.settings.join_link_hours)


def _expired(ctx: Context, org: Organisation, margin: float = 0.0) -> bool:
    """Whether the join token stopped working (or does within `margin` of its lifetime)."""
    expires = org.join_token_expires(_lifetime(ctx))
    return expires is None or expires - _lifetime(ctx) * margin <= dt.datetime.now(dt.UTC)


async def _fresh_token(ctx: Context, org: Organisation) -> str:
    """The token to hand out: renewed when expired or in its last quarter, so that a link
    just given keeps working for a while."""
    if _expired(ctx, org, margin=0.25):
        return await OrgStore(ctx.services.db).rotate_join_token(org.id)
    return org.join_token


async def in_group(ctx: Context, org: Organisation) -> bool:
    """Whether the sender is in the organisation's group right now (asked of the platform)."""
    group = ChatRef(org.platform, org.chat_id, is_private=False)
    return org.platform == ctx.platform.name and await ctx.platform.is_chat_member(
        group, ctx.message.user
    )


async def _end_membership(ctx: Context, org: Organisation) -> None:
    await withdraw_member(ctx.services.db, org, ctx.user.id)
    await OrgStore(ctx.services.db).remove_member(org.id, ctx.user.id)


async def _joined(ctx: Context, org: Organisation, private: ChatRef) -> None:
    new = await OrgStore(ctx.services.db).add_member(org.id, ctx.user.id)
    key = "org.join.welcome" if new else "org.join.again"
    await ctx.reply(Text(ctx.t(key, name=org.name)), chat=private)
    rows = ((Button(ctx.t("org.roster.yes"), f"org:roster:{org.id}:yes"),),
            (Button(ctx.t("org.roster.no"), f"org:roster:{org.id}:no"),))  # fmt: skip
    await ctx.reply(Text(ctx.t("org.roster.question", name=org.name), buttons=rows), chat=private)


async def roster_answer(ctx: Context, org_id: int, yes: bool) -> None:
    store = OrgStore(ctx.services.db)
    org = await store.get(org_id)
    if org is None or await store.member(org_id, ctx.user.id) is None:
        await ctx.say("org.roster.not_member")
        return
    if not await in_group(ctx, org):  # left or removed since: the membership ends here
        await _end_membership(ctx, org)
        await ctx.say("org.roster.not_member")
        return
    await store.set_roster(org_id, ctx.user.id, yes)
    if not yes:
        await withdraw_member(ctx.services.db, org, ctx.user.id)
        await ctx.say("org.roster.not_listed", name=org.name)
        return
    accounts = await publish_listed(ctx.services, org, ctx.user.id)
    handles = [h for h in (accounts.bluesky_handle, accounts.mastodon_acct) if h]
    if handles:
        await ctx.say("org.roster.listed", name=org.name, handles=", ".join(handles))
    else:
        await ctx.say("org.roster.listed_later", name=org.name, connect="/connect", link="/link")


async def leave(ctx: Context) -> None:
    store = OrgStore(ctx.services.db)
    if ctx.chat.is_private:
        orgs = await store.orgs_of_user(ctx.user.id)
    else:
        org = await store.by_chat(ctx.platform.name, ctx.chat.chat_id)
        orgs = [org] if org is not None and await store.member(org.id, ctx.user.id) else []
    for org in orgs:
        await withdraw_member(ctx.services.db, org, ctx.user.id)
        await store.remove_member(org.id, ctx.user.id)
    if not orgs:
        await ctx.say("org.leave.not_member")
    elif ctx.chat.is_private:
        await ctx.say("org.leave.done_private", names=", ".join(o.name for o in orgs))
    else:
        await say(ctx, org_t(ctx, orgs[0]), "org.leave.done")


async def chat_event(ctx: Context) -> None:
    """Someone left or was removed from a group (their membership and roster listing end);
    the bot was removed from it (the data is kept for the retention period) or added back
    (within it, the organisation returns)."""
    store = OrgStore(ctx.services.db)
    org = await store.by_chat(ctx.platform.name, ctx.chat.chat_id)
    if org is None:
        return
    if ctx.message.event == ChatEvent.MEMBER_LEFT:
        if await store.member(org.id, ctx.user.id) is not None:
            await _end_membership(ctx, org)
    elif ctx.message.event == ChatEvent.BOT_REMOVED and org.removed_at is None:
        await store.mark_removed(org.id, dt.datetime.now(dt.UTC))
    elif ctx.message.event == ChatEvent.BOT_ADDED and org.removed_at is not None:
        await store.restore(org.id)
