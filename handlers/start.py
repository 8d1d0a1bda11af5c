"""Greeting, help (generated from the command registry) and free text."""

from __future__ import annotations

from chatbot.conversation import Context, secret_guard
from chatbot.conversation.dispatcher import FROM_GROUP
from handlers import join


async def start(ctx: Context) -> None:
    if ctx.chat.is_private and ctx.args[:1] == (FROM_GROUP,):
        await ctx.say("group.private_hello")  # arrived through the link given in a group
        return
    if ctx.chat.is_private and ctx.args[:1] == (secret_guard.SECRET_WARNING,):
        await secret_guard.from_group_link(ctx)  # a message in a group may hold a secret
        return
    if ctx.chat.is_private and ctx.args and ctx.args[0].startswith(join.JOIN_PREFIX):
        await join.start_join(ctx, ctx.args[0])  # the deep link of /join in a group
        return
    await ctx.say("start.welcome")
    if ctx.chat.is_private:
        await ctx.say("start.how_to_get_archive")


async def help_(ctx: Context) -> None:
    from handlers import build_registry

    lines = [ctx.t("help.title")]
    prefix = "/" if ctx.platform.name != "matrix" else "!"
    for command in build_registry().visible():
        usage = f" {command.usage}" if command.usage else ""
        lines.append(f"{prefix}{command.name}{usage} — {ctx.t(command.help_key)}")
    lines.append("")
    lines.append(ctx.t("help.send_archive"))
    await ctx.say("help.body", commands="\n".join(lines))


async def free_text(ctx: Context) -> None:
    await ctx.say("start.free_text")
