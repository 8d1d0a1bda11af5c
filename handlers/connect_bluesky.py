"""`/connect bluesky [password] [HANDLE [APP_PASSWORD]]`: Bluesky login link, or app password.

With a public web address (``CHATBOT_PUBLIC_URL``) the bot sends a link where the user
approves on their own server (OAuth): no password in the chat. The page then shows a
one-time code, and the account is connected when the user sends it here (`on_code`):
whoever approves must be in this chat, not merely have been sent the link. Without a
web address, or when the user asks for it (`/connect bluesky password`, or a handle and
an app password in one message), the app-password flow runs: handle, then an app
password (deleted). The reply says which method is used and why.

The account may be named in any of the forms of `chatbot.accounts.identifiers` (handle,
bare name, profile URL, DID, e-mail address); a bare name is completed with the default
suffix and the reply says so. Anything else is refused with examples, deleted first (it
may be a password) and never repeated.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from chatbot.accounts import ConnectFailed
from chatbot.accounts import bluesky as accounts
from chatbot.accounts.identifiers import BadIdentifier, Identifier
from chatbot.conversation import Context, secret_guard
from chatbot.conversation.pending import Pending
from chatbot.oauth import OAuthError, scopes
from chatbot.oauth.codes import looks_shown
from chatbot.oauth.confirm import confirm
from chatbot.oauth.flow import start as start_oauth
from chatbot.orgs.publish import refresh_user
from chatbot.platforms.base import Text
from handlers import connect_flow as flow

PASSWORD = "password"


def _oauth_available(ctx: Context) -> bool:
    return bool(ctx.services.settings.public_url)


async def start(ctx: Context, args: tuple[str, ...]) -> None:
    wants_password = bool(args) and args[0].lower() == PASSWORD
    if wants_password:
        args = args[1:]
    if len(args) >= 2:  # a password was given: that is the method
        await _log_in(ctx, args[0], " ".join(args[1:]))
        return
    use_oauth = _oauth_available(ctx) and not wants_password
    if not use_oauth:
        await ctx.say(
            "connect.bluesky.method.password_asked"
            if wants_password
            else "connect.bluesky.method.password_only"
        )
    if args:
        await _got_handle(ctx, args[0], oauth=use_oauth)
    else:
        await _expect_handle(ctx, oauth=use_oauth)
        await ctx.say("connect.bluesky.ask_handle", suffix=_suffix(ctx))


async def _expect_handle(ctx: Context, *, oauth: bool) -> None:
    method = "oauth" if oauth else PASSWORD
    await ctx.services.pending.expect(ctx.user_key, "bluesky_handle", handle=None, method=method)


async def on_text(ctx: Context, pending: Pending) -> None:
    text = ctx.message.text.strip()
    words = text.split()
    oauth = pending.data.get("method") == "oauth"
    if len(words) == 2 and _names_account(ctx, words):
        await _log_in(ctx, words[0], words[1])  # "handle apppassword" in one message
    elif pending.step == "bluesky_password" and (handle := pending.data.get("handle")):
        await _log_in(ctx, str(handle), text)
    else:
        await _got_handle(ctx, text, oauth=oauth)


def _names_account(ctx: Context, words: list[str]) -> bool:
    """Two words that are an account and a password: the password is app-password shaped,
    or the account is written out (a bare word may be half of a password with a space)."""
    account = accounts.parse_or_none(ctx.services, words[0])
    if account is None:
        return False
    return accounts.looks_like_app_password(words[1]) or not account.completed


async def _got_handle(ctx: Context, text: str, *, oauth: bool = False) -> None:
    if accounts.looks_like_app_password(text):  # a password where the handle was expected
        await flow.delete_secret_message(ctx)
        await _expect_handle(ctx, oauth=oauth)
        await ctx.say("connect.bluesky.handle_first")
        return
    try:
        account = accounts.identifier(ctx.services, text)
    except BadIdentifier as exc:  # maybe a password: deleted first and never echoed
        await _expect_handle(ctx, oauth=oauth)
        await secret_guard.refuse_input(ctx, _refusal(exc), suffix=_suffix(ctx))
        return
    if not await _bare_name_exists(ctx, account, deleted=False):
        await _expect_handle(ctx, oauth=oauth)
        return
    await _say_completed(ctx, account)
    if oauth:
        await flow.done(ctx)
        await _send_link(ctx, account)
        return
    await flow.expect(ctx, "bluesky_password", handle=account.value)
    await ctx.say("connect.bluesky.ask_password", handle=_shown(ctx, account))


async def _bare_name_exists(ctx: Context, account: Identifier, *, deleted: bool) -> bool:
    """A bare name is repeated only once it names a real account: a password typed at
    the prompt can look like a name (``hunter2``). Otherwise it is refused like any text
    that names no account: deleted (if it is not yet) and never echoed."""
    if not account.completed:
        return True
    try:
        await accounts.resolve(ctx.services, account.value)
    except ConnectFailed as exc:  # unknown, or not answering: deleted all the same
        unknown = exc.reason == "unknown_handle"
        key = "connect.bluesky.bad_handle" if unknown else f"connect.error.{exc.reason}"
        params = {"suffix": _suffix(ctx), "network": "Bluesky"}
        if deleted:
            await ctx.say(key, **params)
        else:
            await secret_guard.refuse_input(ctx, key, **params)
        return False
    return True


def _refusal(exc: BadIdentifier) -> str:
    """The message explaining why text names no account (with examples)."""
    if exc.reason in ("fediverse", "bridged", "url"):
        return f"connect.bluesky.refused.{exc.reason}"
    return "connect.bluesky.bad_handle"


def _suffix(ctx: Context) -> str:
    return ctx.services.settings.bluesky_default_handle_suffix


def _shown(ctx: Context, account: Identifier) -> str:
    """How the account is named back: its handle or DID; never the e-mail address."""
    return ctx.t("connect.bluesky.email_account") if account.is_email else account.value


def _entryway(ctx: Context) -> str:
    return urlsplit(ctx.services.settings.bluesky_entryway_url).netloc


async def _say_completed(ctx: Context, account: Identifier) -> None:
    if account.completed:
        await ctx.say("connect.bluesky.completed", name=account.typed, handle=account.value)


async def _checking(ctx: Context, account: Identifier) -> None:
    if account.is_email:
        await ctx.say("connect.bluesky.checking_email", server=_entryway(ctx))
    else:
        await ctx.say("connect.bluesky.checking", handle=account.value)


async def _send_link(ctx: Context, account: Identifier) -> None:
    await _checking(ctx, account)
    try:
        link = await start_oauth(
            ctx.services, ctx.user.id, ctx.chat.chat_id, account, ctx.t.language
        )
    except ConnectFailed as exc:
        await _failed(ctx, exc)
        return
    except OAuthError:
        await ctx.say("connect.oauth.unavailable")
        return
    minutes = max(1, round(link.expires_in_s / 60))
    opening = (
        ctx.t("connect.oauth.link_email", server=_entryway(ctx), url=link.url)
        if account.is_email
        else ctx.t("connect.oauth.link", handle=link.handle, url=link.url)
    )
    lines = [
        opening,
        *(ctx.t(key) for key in scopes.ability_keys(link.scope)),
        ctx.t.plural("connect.oauth.expires", minutes),
        ctx.t("connect.bluesky.method.oauth"),
    ]
    await ctx.reply(Text("\n\n".join(lines)))


async def _failed(ctx: Context, exc: ConnectFailed) -> None:
    params = {"network": "Bluesky", "server": _entryway(ctx), **exc.params}
    await ctx.say(f"connect.error.{exc.reason}", **params)


async def on_code(ctx: Context) -> bool:
    """The code of an approved Bluesky login, if the message is one; False otherwise."""
    text = ctx.message.text.strip()
    attempt = await confirm(ctx.services, ctx.user.id, ctx.chat.chat_id, text)
    if attempt.outcome == "none":
        if not looks_shown(text):
            return False  # not a code, and no login waits for one: ordinary text
        await ctx.say("connect.oauth.code.none")  # used, expired, or another user's link
    elif attempt.outcome == "ok" and attempt.held is not None:
        await refresh_user(ctx.services, ctx.user.id)  # the organisations' rosters show it
        await ctx.say("connect.oauth.done", handle=attempt.held.handle)
    elif attempt.outcome == "wrong":
        await ctx.reply(Text(ctx.t.plural("connect.oauth.code.wrong", attempt.tries_left)))
    else:  # too_many, expired, other_chat
        await ctx.say(f"connect.oauth.code.{attempt.outcome}")
    return True


async def _log_in(ctx: Context, handle_text: str, password: str) -> None:
    await flow.done(ctx)
    await flow.delete_secret_message(ctx)  # first: whatever happens next
    try:
        account = accounts.identifier(ctx.services, handle_text)
    except BadIdentifier as exc:  # the message is deleted already
        await ctx.say(_refusal(exc), suffix=_suffix(ctx))
        return
    if not await _bare_name_exists(ctx, account, deleted=True):
        return
    await _say_completed(ctx, account)
    await _checking(ctx, account)
    try:
        identity = await accounts.connect(ctx.services, ctx.user.id, account, password)
    except ConnectFailed as exc:
        await _failed(ctx, exc)
        return
    await refresh_user(ctx.services, ctx.user.id)  # the organisations' rosters show it now
    await ctx.say("connect.bluesky.done", handle=identity.handle)
