"""`/connect mastodon [INSTANCE]`: the authorization link, then the code the user pastes.

Any Mastodon-compatible server (Mastodon, GoToSocial, Akkoma, Pleroma...): the reply
names the software, says when the server gets the broad permissions or cannot limit an
app at all, and offers a button for when the server's page refuses the permissions asked
("The requested scope is invalid"): a new link then asks for the broad ones. A server
that refuses (Misskey and its forks, registration closed, no code to paste) gets a
message with what to do instead.
"""

from __future__ import annotations

import re

from chatbot.accounts import ConnectFailed
from chatbot.accounts import mastodon as accounts
from chatbot.conversation import Context, secret_guard
from chatbot.conversation.pending import Pending
from chatbot.orgs.publish import refresh_user
from chatbot.platforms.base import Button, Text
from chatbot.safetext import display
from handlers import connect_flow as flow

CODE = re.compile(r"[A-Za-z0-9_~.-]{1,512}")  # OAuth codes: RFC 6749 VSCHAR, in practice
SCOPE_RETRY = "mscope:broad"


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


async def _authorize(ctx: Context, text: str, *, broad: bool = False) -> None:
    await flow.done(ctx)
    allow_http = ctx.services.egress.http_allowed()  # only to allow-listed addresses
    try:
        url = accounts.instance_url(text, allow_http=allow_http)
        auth = await accounts.start_authorization(ctx.services, url, broad=broad)
    except ConnectFailed as exc:
        if exc.reason == "bad_instance":  # not an address: maybe a password, never echoed
            await flow.expect(ctx, "mastodon_instance")
            await secret_guard.refuse_input(ctx, "connect.error.bad_instance")
        else:
            await _failed(ctx, exc, server=text)
        return
    await flow.expect(ctx, "mastodon_code", auth=auth)
    host = url.split("://")[1]
    lines = [ctx.t("connect.mastodon.open_link", url=auth.url, instance=host)]
    if auth.software:
        lines.append(ctx.t("connect.mastodon.software", software=auth.software))
    if auth.full_access:
        lines.append(ctx.t("connect.mastodon.full_access", software=auth.software))
    elif auth.broad:
        lines.append(ctx.t("connect.mastodon.broad", server=host))
    buttons: tuple[tuple[Button, ...], ...] = ()
    if not auth.broad:  # the server's page may still refuse the precise scopes
        lines.append(ctx.t("connect.mastodon.scope_hint"))
        buttons = ((Button(ctx.t("connect.mastodon.scope_button"), SCOPE_RETRY),),)
    await ctx.reply(Text("\n\n".join(lines), buttons=buttons))


async def scope_pressed(ctx: Context) -> None:
    """The server's page refused the precise scopes: a new link with the broad ones."""
    pending = await flow.current(ctx)
    auth = flow.authorization(pending) if pending is not None else None
    if auth is None or pending is None or pending.step != "mastodon_code":
        await ctx.say("connect.mastodon.nothing_waiting")
        return
    await _authorize(ctx, auth.instance_url, broad=True)


async def _failed(ctx: Context, exc: ConnectFailed, *, server: str) -> None:
    host = server.split("://")[-1].split("/")[0].rsplit("@", 1)[-1]
    params = {"network": "Mastodon", "server": display(host, 80), **exc.params}
    await ctx.say(f"connect.error.{exc.reason}", **params)


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
        await _failed(ctx, exc, server=auth.instance_url)
        return
    await flow.done(ctx)
    await refresh_user(ctx.services, ctx.user.id)  # the organisations' rosters show it now
    await ctx.say("connect.mastodon.done", account=acct)
