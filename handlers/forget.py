"""`/forget`: after confirmation, delete everything the bot keeps about the user."""

from __future__ import annotations

import shutil

from chatbot.accounts import bluesky as bluesky_account
from chatbot.accounts import mastodon as mastodon_account
from chatbot.conversation import Context
from chatbot.oauth import confirm as oauth_confirm
from chatbot.orgs import publish as orgs
from chatbot.posts.store import media_dir
from chatbot.storage.directory import DirectoryStore
from chatbot.storage.links import UserLinks
from handlers import match, profile


async def forget(ctx: Context) -> None:
    await ctx.ask(
        ctx.t("forget.confirm"),
        [(ctx.t("forget.yes"), "forget:yes"), (ctx.t("forget.no"), "forget:no")],
    )


async def confirmed(ctx: Context) -> None:
    if ctx.message.callback != "forget:yes":
        await ctx.say("forget.cancelled")
        return
    services = ctx.services
    services.jobs.cancel_user(ctx.user.id)
    match.forget_user(services, ctx.user.id)
    parsed = await services.archives.load(ctx.user.id)
    # end the sessions and tokens where they live too (best effort), not only our copies
    await bluesky_account.revoke(services, ctx.user.id)
    await oauth_confirm.discard(services, ctx.user.id)  # a login waiting for its code
    await mastodon_account.revoke(services, ctx.user.id)
    await services.chat_state.forget_user(ctx.platform.name, ctx.message.user.user_id)
    await services.pending.done(ctx.user_key)  # a step waiting for them (Redis when scaled)
    if services.queue is not None:  # replies and handed-over files waiting in Redis
        from chatbot.queue.forget import forget_user

        chats = {ctx.chat.chat_id, *filter(None, [ctx.user.private_chat_id])}
        await forget_user(services.queue, ctx.platform.name, ctx.message.user.user_id, chats,
                          services.settings.uploads_dir)  # fmt: skip
    await UserLinks(services.db).forget_user(ctx.user.id)
    await orgs.forget_user(services.db, ctx.user.id)  # out of every organisation and roster
    await services.users.delete(ctx.user.id)
    profile.forget_images(services, ctx.user.id)
    shutil.rmtree(media_dir(services.settings.data_dir, ctx.user.id), ignore_errors=True)
    if parsed is not None:  # their archive no longer counts in what archives say about ids
        await DirectoryStore(services.db).refresh_observations(list(parsed.handles))
    await ctx.say("forget.done")
