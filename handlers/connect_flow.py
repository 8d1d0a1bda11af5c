"""What a /connect conversation waits for next, per user (`services.pending`).

A restart forgets it: the user simply sends /connect again. Nothing secret is kept here
(a handle, or the PKCE verifier of an authorization in progress).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from chatbot.conversation import Context
from chatbot.conversation.pending import Pending

if TYPE_CHECKING:  # imported when used: free text checks the step without the SDK
    from chatbot.accounts.mastodon import Authorization

log = logging.getLogger(__name__)

STEPS = ("bluesky_handle", "bluesky_password", "mastodon_instance", "mastodon_code")


async def expect(
    ctx: Context, step: str, *, handle: str | None = None, auth: Authorization | None = None
) -> None:
    """The user's next message is `step` of a /connect conversation."""
    started = dataclasses.asdict(auth) if auth is not None else None
    await ctx.services.pending.expect(ctx.user_key, step, handle=handle, auth=started)


def authorization(pending: Pending) -> Authorization | None:
    """The Mastodon authorization a /connect step carries, if any."""
    from chatbot.accounts.mastodon import Authorization

    started = pending.data.get("auth")
    return Authorization(**started) if isinstance(started, dict) else None


async def current(ctx: Context) -> Pending | None:
    """The /connect step the user is in, if any (and the time is not up)."""
    pending = await ctx.services.pending.current(ctx.user_key)
    return pending if pending is not None and pending.step in STEPS else None


async def done(ctx: Context) -> None:
    if await current(ctx) is not None:
        await ctx.services.pending.done(ctx.user_key)


async def delete_secret_message(ctx: Context) -> None:
    """Delete the user's message that carried a password, and say whether it worked."""
    try:
        deleted = await ctx.platform.delete(ctx.chat, ctx.message.message_id)
    except Exception:
        log.warning("could not delete a password message on %s", ctx.platform.name)
        deleted = False
    await ctx.say("connect.deleted" if deleted else "connect.not_deleted")
