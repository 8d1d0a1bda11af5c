"""`/connect` (what is connected), `/connect bluesky|mastodon`, `/disconnect NETWORK`.

The steps of a connection are free-text replies: `text_router` sends them to the flow
that waits for them and everything else to the usual free-text handler.
"""

from __future__ import annotations

from chatbot.accounts import bluesky, mastodon
from chatbot.conversation import Context
from chatbot.conversation.registry import Handler
from chatbot.oauth import confirm as oauth_confirm
from chatbot.orgs.publish import refresh_user
from chatbot.platforms.base import Text
from chatbot.storage.accounts import NETWORKS
from handlers import connect_bluesky, connect_flow, connect_mastodon

NAMES = {"bluesky": "Bluesky", "mastodon": "Mastodon"}


async def connect(ctx: Context) -> None:
    network = ctx.args[0].lower() if ctx.args else None
    if network == "bluesky":
        await connect_bluesky.start(ctx, ctx.args[1:])
    elif network == "mastodon":
        await connect_mastodon.start(ctx, ctx.args[1:])
    elif network is None:
        await status(ctx)
    else:
        await ctx.say("connect.usage")


async def status(ctx: Context) -> None:
    connected = await ctx.services.accounts.of_user(ctx.user.id)
    if not connected:
        await ctx.reply(Text(ctx.t("connect.status.none") + "\n\n" + ctx.t("connect.usage")))
        return
    lines = [ctx.t("connect.status.header")]
    for network in NETWORKS:
        if network in connected:
            handle, service = connected[network]
            lines.append(
                ctx.t("connect.status.line", network=NAMES[network], account=handle, url=service)
            )
    await ctx.reply(Text("\n".join(lines)))


async def disconnect(ctx: Context) -> None:
    network = ctx.args[0].lower() if ctx.args else ""
    if network not in NETWORKS:
        await ctx.say("connect.disconnect_usage")
        return
    await connect_flow.done(ctx)
    if network == "bluesky":  # an approval still waiting for its code ends too
        await oauth_confirm.discard(ctx.services, ctx.user.id)
    revoke = bluesky.revoke if network == "bluesky" else mastodon.revoke
    await revoke(ctx.services, ctx.user.id)  # end the session / token where it lives
    removed = await ctx.services.accounts.remove(ctx.user.id, network)
    await refresh_user(ctx.services, ctx.user.id)
    key = "connect.disconnected" if removed else "connect.not_connected"
    await ctx.say(key, network=NAMES[network])


def text_router(fallback: Handler | None) -> Handler:
    """Free text: the code of an approved Bluesky login, the next step of a /connect in
    progress, else `fallback`."""

    async def route(ctx: Context) -> None:
        pending = await connect_flow.current(ctx)
        secret_expected = pending is not None and pending.step == "bluesky_password"
        if not secret_expected and await connect_bluesky.on_code(ctx):
            return  # the code of an approved Bluesky login
        if pending is None:
            if fallback is not None:
                await fallback(ctx)
        elif pending.step.startswith("bluesky"):
            await connect_bluesky.on_text(ctx, pending)
        else:
            await connect_mastodon.on_text(ctx, pending)

    return route
