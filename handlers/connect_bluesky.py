"""`/connect bluesky [HANDLE [APP_PASSWORD]]`: handle, then an app password (deleted)."""

from __future__ import annotations

from chatbot.accounts import ConnectFailed
from chatbot.accounts import bluesky as accounts
from chatbot.conversation import Context, secret_guard
from chatbot.conversation.pending import Pending
from chatbot.orgs.publish import refresh_user
from handlers import connect_flow as flow


async def start(ctx: Context, args: tuple[str, ...]) -> None:
    if len(args) >= 2:
        await _log_in(ctx, args[0], " ".join(args[1:]))
    elif args:
        await _got_handle(ctx, args[0])
    else:
        await flow.expect(ctx, "bluesky_handle")
        await ctx.say("connect.bluesky.ask_handle")


async def on_text(ctx: Context, pending: Pending) -> None:
    text = ctx.message.text.strip()
    words = text.split()
    if len(words) == 2 and accounts.normalize_handle(words[0]):
        await _log_in(ctx, words[0], words[1])  # "handle apppassword" in one message
    elif pending.step == "bluesky_password" and (handle := pending.data.get("handle")):
        await _log_in(ctx, str(handle), text)
    else:
        await _got_handle(ctx, text)


async def _got_handle(ctx: Context, text: str) -> None:
    if accounts.looks_like_app_password(text):  # a password where the handle was expected
        await flow.delete_secret_message(ctx)
        await flow.expect(ctx, "bluesky_handle")
        await ctx.say("connect.bluesky.handle_first")
        return
    handle = accounts.normalize_handle(text)
    if handle is None:  # not a handle: maybe a password, deleted first and never echoed
        await flow.expect(ctx, "bluesky_handle")
        await secret_guard.refuse_input(ctx, "connect.bluesky.bad_handle")
        return
    await flow.expect(ctx, "bluesky_password", handle=handle)
    await ctx.say("connect.bluesky.ask_password", handle=handle)


async def _log_in(ctx: Context, handle_text: str, password: str) -> None:
    await flow.done(ctx)
    await flow.delete_secret_message(ctx)  # first: whatever happens next
    handle = accounts.normalize_handle(handle_text)
    if handle is None:  # the message is deleted already
        await ctx.say("connect.bluesky.bad_handle")
        return
    await ctx.say("connect.bluesky.checking", handle=handle)
    try:
        identity = await accounts.connect(ctx.services, ctx.user.id, handle, password)
    except ConnectFailed as exc:
        await ctx.say(f"connect.error.{exc.reason}", network="Bluesky")
        return
    await refresh_user(ctx.services, ctx.user.id)  # the organisations' rosters show it now
    await ctx.say("connect.bluesky.done", handle=identity.handle)
