"""Routes each neutral event to its handler: addressing, language, groups, errors.

One rule decides whether the bot is addressed (the adapter sets `addressed`); one
rule keeps personal data out of groups (`private_only` commands and files move to a
private chat); one error boundary turns any failure into a translated message with a
reference number, and never lets one user's failure reach another user. Before all
that, a message that may hold a secret where none belongs is deleted (`secret_guard`),
even when it was not addressed to the bot or its sender is being throttled.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import weakref
from typing import TYPE_CHECKING

from chatbot.conversation import secret_guard
from chatbot.conversation.batches import batch_key
from chatbot.conversation.context import Context
from chatbot.conversation.registry import CommandRegistry, UserFacingError
from chatbot.conversation.throttle import Throttle
from chatbot.i18n import negotiate, translator
from chatbot.ops import metrics
from chatbot.outages import OUTAGES
from chatbot.platforms.base import ChatEvent, IncomingMessage, Platform, Text

if TYPE_CHECKING:  # the services depend on the conversation package, not the other way
    from chatbot.services import Services

log = logging.getLogger(__name__)

FROM_GROUP = "from_group"  # the deep-link payload: /start from_group


class Dispatcher:
    """Turns `IncomingMessage`s into handler calls. One instance serves every platform."""

    def __init__(
        self, services: Services, registry: CommandRegistry, throttle: Throttle | None = None
    ) -> None:
        self.services = services
        self.registry = registry
        self.throttle = throttle or Throttle(limit=20, window_s=30.0)
        settings = services.settings  # files are heavy work: their own, tighter limit
        self.upload_throttle = Throttle(settings.upload_limit, settings.upload_window_s)
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def handle(self, platform: Platform, message: IncomingMessage) -> None:
        """Handle one event. Events of one user run in order; users run concurrently."""
        if secret_guard.suspect_in_group(message, self.registry):
            await self._guard_group(platform, message)
            return
        if not message.chat.is_private and not message.addressed:
            return
        if message.event is not None:
            await self._event(platform, message)
            return
        metrics.MESSAGES.labels(platform=platform.name, kind=_kind(message)).inc()
        key = (platform.name, message.user.user_id)
        verdict = self.throttle.check(key)
        if verdict != "allowed":
            await self._dropped(platform, message)
            if verdict == "warn":
                await self._flood_warning(platform, message, "error.slow_down")
            return
        if message.attachment is not None and message.chat.is_private:
            verdict = self.upload_throttle.check(key)
            if verdict != "allowed":
                await self._dropped(platform, message)
                if verdict == "warn":
                    await self._flood_warning(platform, message, "error.upload_slow_down")
                return
        batch = self._batch(platform, message)
        if batch is not None:  # counted before it waits behind the user's earlier messages
            await self.services.batches.arrived(batch)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            with metrics.REPLY_SECONDS.labels(platform=platform.name).time():
                await self._handle(platform, message, batch)

    def _batch(self, platform: Platform, message: IncomingMessage) -> str | None:
        """The upload batch of a private file this process reads (a front end in scale-out
        mode only hands files over: the worker that reads one counts it)."""
        services = self.services
        if message.attachment is None or not message.chat.is_private:
            return None
        if services.queue is not None and not services.in_worker:
            return None
        return batch_key(platform.name, message.user.user_id)

    async def _handle(
        self, platform: Platform, message: IncomingMessage, batch: str | None = None
    ) -> None:
        ctx = None
        try:
            ctx = await self._context(platform, message)
            if ctx is not None:
                await self._answer(ctx)
        finally:
            if batch is not None:
                generation = await self.services.batches.done(batch)
                if ctx is not None and self.registry.file_done is not None:
                    await self.registry.file_done(ctx, generation)

    async def _context(self, platform: Platform, message: IncomingMessage) -> Context | None:
        """The user's context; None after telling them the database is away."""
        private = message.chat.chat_id if message.chat.is_private else None
        try:
            user = await self.services.users.get_or_create(
                platform.name, message.user.user_id, private_chat_id=private
            )
        except OUTAGES as exc:  # no user without the database: answer in the hinted language
            log.warning("infrastructure unavailable (%s) on %s", type(exc).__name__, platform.name)
            hint = negotiate(None, message.user.language_hint,
                             self.services.settings.default_language)  # fmt: skip
            try:
                await platform.send(message.chat, Text(translator(hint)("error.unavailable")))
            except Exception:
                log.exception("could not deliver an error message on %s", platform.name)
            return None
        language = negotiate(
            user.language, message.user.language_hint, self.services.settings.default_language
        )
        return Context(message, platform, self.services, user, translator(language))

    async def _answer(self, ctx: Context) -> None:
        platform = ctx.platform
        try:
            await self._route(ctx)
        except UserFacingError as exc:
            await self._safe_reply(ctx, ctx.t(exc.key, **exc.params))
        except OUTAGES as exc:  # the database or Redis is away for a moment
            log.warning("infrastructure unavailable (%s) on %s", type(exc).__name__, platform.name)
            await self._safe_reply(ctx, ctx.t("error.unavailable"))
        except Exception:
            metrics.HANDLER_ERRORS.labels(platform=platform.name).inc()
            reference = secrets.token_hex(4)
            log.exception("handler failed (reference %s, platform %s)", reference, platform.name)
            await self._safe_reply(ctx, ctx.t("error.internal", reference=reference))

    async def _route(self, ctx: Context) -> None:
        message = ctx.message
        if ctx.chat.is_private and await secret_guard.in_private(ctx, self.registry):
            return
        if message.callback is not None:
            await self._route_callback(ctx, message.callback)
            return
        if message.command is not None:
            command = self.registry.get(message.command)
            if command is None:
                await ctx.say("error.unknown_command", command=message.command)
                return
            if command.admin_only and not is_bot_admin(self.services, ctx):
                await ctx.say("error.admins_only")
                return
            if command.private_only and not ctx.chat.is_private:
                await self._move_to_private(ctx)
                return
            if command.group_only and ctx.chat.is_private:
                await ctx.say("group.only_in_group", command=command.name)
                return
            if command.group_admin_only and not await is_group_admin(ctx):
                await ctx.say("group.admins_only")
                return
            await command.handler(ctx)
            return
        if message.attachment is not None:
            if not ctx.chat.is_private:
                await self._move_to_private(ctx)
                return
            if self.registry.file_handler is not None:
                await self.registry.file_handler(ctx)
            return
        if ctx.chat.is_private and message.text.strip():
            data = await self.services.chat_state.pick_choice(
                ctx.platform.name, ctx.chat.chat_id, message.user.user_id, message.text
            )
            if data is not None:
                ctx.message = dataclasses.replace(message, callback=data)
                await self._route_callback(ctx, data)
            elif self.registry.text_handler is not None:
                await self.registry.text_handler(ctx)

    async def _route_callback(self, ctx: Context, data: str) -> None:
        route = self.registry.callback(data)
        if route is None:
            await ctx.say("error.stale_button")
            return
        if route.private_only and not ctx.chat.is_private:
            await self._move_to_private(ctx)
            return
        await route.handler(ctx)

    async def _event(self, platform: Platform, message: IncomingMessage) -> None:
        """A chat event (`ChatEvent`): handled quietly, failures only logged."""
        handler = self.registry.event_handler
        if handler is None:
            return
        try:
            if message.event == ChatEvent.MEMBER_LEFT:  # only people the bot knows matter
                found = await self.services.users.find(platform.name, message.user.user_id)
                if found is None:
                    return
                user = found
            else:
                user = await self.services.users.get_or_create(platform.name, message.user.user_id)
            language = negotiate(user.language, None, self.services.settings.default_language)
            await handler(Context(message, platform, self.services, user, translator(language)))
        except Exception:
            metrics.HANDLER_ERRORS.labels(platform=platform.name).inc()
            log.exception("chat event %s failed on %s", message.event, platform.name)

    async def _guard_group(self, platform: Platform, message: IncomingMessage) -> None:
        """A group message that may hold a secret: deleted, its sender warned privately
        (unless they are being throttled: then it is only deleted)."""
        warn = self.throttle.check((platform.name, message.user.user_id)) == "allowed"
        try:
            user = await self.services.users.get_or_create(platform.name, message.user.user_id)
            language = negotiate(
                user.language, message.user.language_hint, self.services.settings.default_language
            )
            ctx = Context(message, platform, self.services, user, translator(language))
            await secret_guard.in_group(ctx, warn=warn)
        except Exception as exc:
            log.warning("secret guard failed on %s (%s)", platform.name, type(exc).__name__)
            await secret_guard.delete(platform, message.chat, message.message_id)

    @staticmethod
    async def _dropped(platform: Platform, message: IncomingMessage) -> None:
        """A throttled message is not handled; one holding a password is still deleted."""
        if message.chat.is_private and secret_guard.holds_app_password(message.text):
            await secret_guard.delete(platform, message.chat, message.message_id)

    async def _move_to_private(self, ctx: Context) -> None:
        """Never handle personal data in a group: continue with the member privately."""
        private = await ctx.platform.open_private_chat(ctx.message.user)
        if private is not None:
            await ctx.say("group.moved_to_private")
            await ctx.reply(Text(ctx.t("group.private_hello")), chat=private)
            return
        link = ctx.platform.private_chat_link(ctx.message.user, FROM_GROUP)
        if link:
            await ctx.say("group.continue_in_private_link", link=link)
        else:
            await ctx.say("group.continue_in_private")

    async def _flood_warning(self, platform: Platform, message: IncomingMessage, key: str) -> None:
        user = await self.services.users.get_or_create(platform.name, message.user.user_id)
        language = negotiate(
            user.language, message.user.language_hint, self.services.settings.default_language
        )
        t = translator(language)
        if key == "error.upload_slow_down":
            window = self.upload_throttle.window_s
            text = t(key, count=self.upload_throttle.limit, minutes=max(1, round(window / 60)))
        else:
            text = t(key, seconds=int(self.throttle.window_s))
        try:
            await platform.send(message.chat, Text(text))
        except Exception:
            log.warning("could not send the flood warning on %s", platform.name)

    @staticmethod
    async def _safe_reply(ctx: Context, text: str) -> None:
        try:
            await ctx.reply(Text(text))
        except Exception:
            log.exception("could not deliver an error message on %s", ctx.platform.name)


def _kind(message: IncomingMessage) -> str:
    """The `chatbot_messages_total` kind: callback, command, file or text."""
    if message.callback is not None:
        return "callback"
    if message.command is not None:
        return "command"
    return "file" if message.attachment is not None else "text"


async def is_group_admin(ctx: Context) -> bool:
    """Whether the sender administers this group (False in private, or when unknown)."""
    if ctx.chat.is_private:
        return False
    try:
        return await ctx.platform.is_chat_admin(ctx.chat, ctx.message.user)
    except Exception:
        log.warning("could not check group admin rights on %s", ctx.platform.name)
        return False


def is_bot_admin(services: Services, ctx: Context) -> bool:
    """Bot administrators: ``platform:user_id`` entries of the CHATBOT_ADMINS setting."""
    me = f"{ctx.platform.name}:{ctx.message.user.user_id}"
    return me in services.settings.admins
