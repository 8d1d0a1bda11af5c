"""`/connect mastodon [INSTANCE]`: the authorization link, then the code the user pastes."""

from __future__ import annotations

import re

from chatbot.accounts import ConnectFailed
from chatbot.accounts import mastodon as accounts
from chatbot.conversation import Context, secret_guard
from chatbot.conversation.pending import Pending
from chatbot.orgs.publish import refresh_user
from handlers import connect_flow as flow

CODE = re.compile(r"[A-Za-z0-9_~.-]{1,512}")  # OAuth codes: RFC 6749 VSCHAR, in practice


async def start(ctx: Context, args: tuple[str, ...]) -> None:
    if args:
        await _authorize(ctx, args[0])
    else:
        await flow.expect(ctx, "mastodon_instance")
        await ctx.say("connect.mastodon.ask_instance")


async def on_text(ctx: Context, pending: Pending) -> None:
    text = ctx.message.text.strip()
    if pending.step == "mastodon_code" and flow.authorization(pending) is not None:
        await _exchange(ctx, pending, text)
    else:
        await _authorize(ctx, text)


async def _authorize(ctx: Context, text: str) -> None:
    await flow.done(ctx)
    allow_http = ctx.services.egress.http_allowed()  # only to allow-listed addresses
    try:
        url = accounts.instance_url(text, allow_http=allow_http)
        auth = await accounts.start_authorization(ctx.services, url)
    except ConnectFailed as exc:
        if exc.reason == "bad_instance":  # not an address: maybe a password, never echoed
            await flow.expect(ctx, "mastodon_instance")
            await secret_guard.refuse_input(ctx, "connect.error.bad_instance")
        else:
            await ctx.say(f"connect.error.{exc.reason}", network="Mastodon")
        return
    await flow.expect(ctx, "mastodon_code", auth=auth)
    await ctx.say("connect.mastodon.open_link", url=auth.url, instance=url.split("://")[1])


async def _exchange(ctx: Context, pending: Pending, code: str) -> None:
    auth = flow.authorization(pending)
    assert auth is not None
    if not CODE.fullmatch(code):  # not a code: maybe a password, deleted, never echoed
        await secret_guard.refuse_input(ctx, "connect.error.wrong_code", network="Mastodon")
        return
    try:
        acct = await accounts.finish_authorization(ctx.services, ctx.user.id, auth, code)
    except ConnectFailed as exc:
        if exc.reason != "wrong_code":  # a mistyped code may be pasted again
            await flow.done(ctx)
        await ctx.say(f"connect.error.{exc.reason}", network="Mastodon")
        return
    await flow.done(ctx)
    await refresh_user(ctx.services, ctx.user.id)  # the organisations' rosters show it now
    await ctx.say("connect.mastodon.done", account=acct)
