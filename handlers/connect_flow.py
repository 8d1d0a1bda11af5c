"""What a /connect conversation waits for next, per user (in memory, for `WAIT_S`).

A restart forgets it: the user simply sends /connect again. Nothing secret is kept here
(a handle, or the PKCE verifier of an authorization in progress).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from chatbot.accounts.mastodon import Authorization
from chatbot.conversation import Context

log = logging.getLogger(__name__)

WAIT_S = 10 * 60


@dataclass(frozen=True)
class Pending:
    step: str  # bluesky_handle | bluesky_password | mastodon_instance | mastodon_code
    deadline: float
    handle: str | None = None
    auth: Authorization | None = None


_pending: dict[tuple[str, str], Pending] = {}


def expect(
    ctx: Context, step: str, *, handle: str | None = None, auth: Authorization | None = None
) -> None:
    _pending[_key(ctx)] = Pending(step, time.monotonic() + WAIT_S, handle, auth)


def current(ctx: Context) -> Pending | None:
    pending = _pending.get(_key(ctx))
    if pending is not None and time.monotonic() > pending.deadline:
        _pending.pop(_key(ctx), None)
        return None
    return pending


def done(ctx: Context) -> None:
    _pending.pop(_key(ctx), None)


async def delete_secret_message(ctx: Context) -> None:
    """Delete the user's message that carried a password, and say whether it worked."""
    try:
        deleted = await ctx.platform.delete(ctx.chat, ctx.message.message_id)
    except Exception:
        log.warning("could not delete a password message on %s", ctx.platform.name)
        deleted = False
    await ctx.say("connect.deleted" if deleted else "connect.not_deleted")


def _key(ctx: Context) -> tuple[str, str]:
    return (ctx.platform.name, ctx.message.user.user_id)
