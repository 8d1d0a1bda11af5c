"""What the organisation handlers share: the group's organisation, admin rights, the way
to the member's private chat, and the organisation's language in the group."""

from __future__ import annotations

import logging

from chatbot.conversation import Context
from chatbot.conversation.dispatcher import FROM_GROUP, is_group_admin
from chatbot.i18n import Translator
from chatbot.orgs.render import primary
from chatbot.orgs.store import Organisation, OrgStore
from chatbot.platforms.base import ChatRef, Text

log = logging.getLogger(__name__)


def org_t(ctx: Context, org: Organisation | None) -> Translator:
    """Messages in the group speak the organisation's first language."""
    return primary(org.languages) if org is not None else ctx.t


async def current_org(ctx: Context) -> Organisation | None:
    """The group's organisation; None (after saying how to set it up) when there is none."""
    org = await OrgStore(ctx.services.db).by_chat(ctx.platform.name, ctx.chat.chat_id)
    if org is None or org.removed_at is not None:
        await ctx.say("org.not_set_up", command="/group setup")
        return None
    return org


is_admin = is_group_admin


async def private_chat(ctx: Context) -> ChatRef | None:
    """The user's private chat with the bot, where one is known or can be opened."""
    return await ctx.private_chat()


async def need_private(ctx: Context, t: Translator) -> None:
    """Ask the admin to open a private chat first (outputs with handles go there)."""
    link = ctx.platform.private_chat_link(ctx.message.user, FROM_GROUP)
    if link:
        await say(ctx, t, "org.need_private_link", link=link)
    else:
        await say(ctx, t, "org.need_private")


async def say(ctx: Context, t: Translator, key: str, /, **params: object) -> None:
    """Reply in the current chat with `t` (the organisation's language in a group)."""
    await ctx.reply(Text(t(key, **params)))
