"""Secrets typed in the wrong place: deleted where the bot can, the sender told privately.

Threat model §4.11. A message "may hold a secret" when it contains something shaped like
a Bluesky app password (four groups of four base32 characters joined by ``-``, as the PDS
makes them), or when, in a group, it gives arguments to a command whose arguments may be
secret (`Command.secret_args`: ``/connect bluesky HANDLE PASSWORD``, anything after
the network's name).

* In a group, any such message the bot sees (addressed to it or not) is deleted when the
  platform lets the bot (Telegram: an administrator with the right; Matrix: the redact
  power level), and its sender is told in their private chat with the bot (opened on
  Matrix when needed) to revoke it, or to delete it and revoke it when the bot could not.
  The group reads nothing about the content: at most a neutral line that asks the sender
  to open the private chat, when the bot has no way to reach them there.
* In a private chat, an app password outside a step that expects one (`/connect`) is
  deleted, and the user is told why.
* Nothing here ever repeats the message.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from chatbot.platforms.base import ChatRef, IncomingMessage, Platform, Text
from chatbot.safetext import display

if TYPE_CHECKING:
    from chatbot.conversation.context import Context
    from chatbot.conversation.registry import CommandRegistry

log = logging.getLogger(__name__)

REVOKE_URL = "https://bsky.app/settings/app-passwords"
CONNECT = "/connect bluesky"
SECRET_WARNING = "secret_warning"  # the deep-link payload of the private warning
SCAN_LIMIT = 65_536  # characters of one message looked at (a Matrix event is at most 64 KiB)
APP_PASSWORD = re.compile(
    r"(?<![A-Za-z0-9-])[a-z2-7]{4}(?:-[a-z2-7]{4}){3}(?![A-Za-z0-9-])", re.IGNORECASE
)


def holds_app_password(text: str) -> bool:
    """Whether `text` contains something shaped like a Bluesky app password."""
    return APP_PASSWORD.search(text[:SCAN_LIMIT]) is not None


def suspect_in_group(message: IncomingMessage, registry: CommandRegistry) -> bool:
    """A group message that may hold a secret (see the module docstring)."""
    if message.chat.is_private or message.event is not None or message.callback is not None:
        return False
    if holds_app_password(message.text):
        return True
    command = registry.get(message.command) if message.command and message.addressed else None
    first = command.secret_args if command is not None else None
    return first is not None and len(message.args) > first


async def delete(platform: Platform, chat: ChatRef, message_id: str) -> bool:
    """Delete (redact) a message; False when the platform refuses or fails."""
    try:
        return await platform.delete(chat, message_id)
    except Exception as exc:
        log.warning("could not delete a message on %s (%s)", platform.name, type(exc).__name__)
        return False


async def in_group(ctx: Context, *, warn: bool) -> None:
    """Delete the group message that may hold a secret; warn its sender privately."""
    deleted = await delete(ctx.platform, ctx.chat, ctx.message.message_id)
    log.info("a group message that may hold a secret: %s", "deleted" if deleted else "kept")
    if not warn:
        return
    key = "secrets.group.deleted" if deleted else "secrets.group.not_deleted"
    warning = Text(ctx.t(key, link=REVOKE_URL, connect=CONNECT))
    try:
        private = await ctx.private_chat()
        if private is not None:
            await ctx.reply(warning, chat=private)
            return
    except Exception as exc:  # e.g. Telegram: the user never started a chat with the bot
        log.info("no private chat for a secret warning on %s (%s)", ctx.platform.name,
                 type(exc).__name__)  # fmt: skip
    name = display(ctx.message.user.display_name) or "…"
    link = ctx.platform.private_chat_link(ctx.message.user, SECRET_WARNING)
    if link:
        await ctx.reply(Text(ctx.t("secrets.group.see_private_link", name=name, link=link)))
    else:
        await ctx.reply(Text(ctx.t("secrets.group.see_private", name=name)))


async def in_private(ctx: Context, registry: CommandRegistry) -> bool:
    """An app password in a private chat where none is expected: deleted, the user told
    (True: the message is handled). A step of /connect handles its own password."""
    message = ctx.message
    if message.callback is not None or not holds_app_password(message.text):
        return False
    if message.command is not None:
        command = registry.get(message.command)
        if command is not None and command.secret_args is not None:
            return False
    else:
        pending = await ctx.services.pending.current(ctx.user_key)
        if pending is not None and pending.step in registry.secret_steps:
            return False
    deleted = await delete(ctx.platform, ctx.chat, message.message_id)
    key = "secrets.private.deleted" if deleted else "secrets.private.not_deleted"
    await ctx.say(key, link=REVOKE_URL, connect=CONNECT)
    return True


async def refuse_input(ctx: Context, key: str, /, **params: object) -> None:
    """At a prompt for a handle, an instance or a code, what came is not one: it may be a
    password, so it is deleted before the answer, and never repeated."""
    deleted = await delete(ctx.platform, ctx.chat, ctx.message.message_id)
    notice = "secrets.input.deleted" if deleted else "secrets.input.not_deleted"
    await ctx.reply(Text(ctx.t(notice) + "\n" + ctx.t(key, **params)))


async def from_group_link(ctx: Context) -> None:
    """The private ``/start secret_warning`` of the neutral group line's link."""
    await ctx.say("secrets.private.from_group", link=REVOKE_URL, connect=CONNECT)
