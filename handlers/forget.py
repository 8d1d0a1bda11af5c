"""`/forget`: after confirmation, delete everything the bot keeps about the user."""

from __future__ import annotations

from chatbot.conversation import Context


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
    await services.chat_state.forget_user(ctx.platform.name, ctx.message.user.user_id)
    await services.users.delete(ctx.user.id)
    await ctx.say("forget.done")
