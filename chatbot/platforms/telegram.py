"""Telegram adapter: python-telegram-bot v22, long polling or a webhook, cloud or self-hosted.

`CHATBOT_TELEGRAM_API_URL` is the root of a self-hosted Bot API server (for example
``http://127.0.0.1:8081``); the bot appends ``/bot<token>`` and ``/file/bot<token>``.
With `CHATBOT_TELEGRAM_LOCAL_MODE` (``telegram-bot-api --local``) there is no 20 MB
download limit and `getFile` returns a local path that is copied instead of downloaded.
With `CHATBOT_TELEGRAM_WEBHOOK_URL` updates arrive by webhook (`telegram_webhook`).

Each update is handled in its own task (`concurrent_updates`); the dispatcher keeps one
user's events in order. Nothing personal (texts, file names, the token) is logged.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import warnings
from datetime import timedelta
from pathlib import Path

# RetryAfter.retry_after as a timedelta (PTB's opt-in; PTB warns on every 429 otherwise)
os.environ.setdefault("PTB_TIMEDELTA", "true")

import aiofiles
import httpx
from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import FileSizeLimit
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ContextTypes, TypeHandler

from chatbot.config import SUPPORTED_LANGUAGES, Settings
from chatbot.conversation import Dispatcher
from chatbot.i18n import translator
from chatbot.platforms.base import (
    Attachment,
    ChatEvent,
    ChatRef,
    Document,
    DownloadFailed,
    Image,
    PlatformLimits,
    RateLimited,
    Reply,
    SentMessage,
    Text,
    TooBigToDownload,
    UserRef,
)
from chatbot.platforms.telegram_admins import AdminCache, is_member
from chatbot.platforms.telegram_convert import from_update, keyboard
from chatbot.platforms.telegram_webhook import webhook_from_settings

log = logging.getLogger(__name__)

CLOUD_DOWNLOAD_LIMIT = 20_000_000
_PAYLOAD = re.compile(r"[^A-Za-z0-9_-]")
_QUIET = ("httpx", "httpcore", "telegram")
UPDATES = ["message", "callback_query", "my_chat_member"]  # getUpdates' allowed_updates


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramAdapter:
    """The `Adapter` and, as the same object, the `Platform` for Telegram."""

    name = "telegram"

    def __init__(self, settings: Settings, dispatcher: Dispatcher) -> None:
        if not settings.telegram_token:
            raise ValueError("TelegramAdapter needs CHATBOT_TELEGRAM_TOKEN")
        self.platform = self
        self._dispatcher = dispatcher
        self._local = settings.telegram_local_mode
        self.limits = PlatformLimits(
            max_download_bytes=None if self._local else CLOUD_DOWNLOAD_LIMIT,
            max_upload_bytes=(
                FileSizeLimit.FILESIZE_UPLOAD_LOCAL_MODE
                if self._local
                else FileSizeLimit.FILESIZE_UPLOAD
            ),
            max_text_chars=4096,
            min_edit_interval_s=3.0,
            buttons=True,
        )
        self.username = settings.telegram_bot_username or ""
        self.bot_id = 0
        builder = (
            Application.builder()
            .token(settings.telegram_token)
            .rate_limiter(AIORateLimiter(max_retries=0))
            .concurrent_updates(True)
            .local_mode(self._local)
            .read_timeout(30)
            .write_timeout(60)
            .media_write_timeout(120)
        )
        if settings.telegram_api_url:
            builder = builder.base_url(settings.telegram_api_url + "/bot")
            builder = builder.base_file_url(settings.telegram_api_url + "/file/bot")
        self._app = builder.build()
        self._app.add_handler(TypeHandler(Update, self._on_update))
        self._app.add_error_handler(self._on_error)
        self._http: httpx.AsyncClient | None = None
        self._admins = AdminCache()
        self._webhook = webhook_from_settings(self._app, settings)
        self._delete_webhook = settings.telegram_webhook_delete_on_stop

    # -- Adapter ------------------------------------------------------------------------

    async def start(self) -> None:
        for name in _QUIET:  # PTB logs request URLs, with the token, at DEBUG
            logger = logging.getLogger(name)
            logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
        # with max_retries=0 it logs every 429 as an ERROR with a traceback; we handle them
        logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
        await self._app.initialize()
        me = self._app.bot
        self.username, self.bot_id = me.username, me.id
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(120.0, connect=10.0))
        await self._publish_commands()
        await self._app.start()
        if self._webhook is not None:
            await self._webhook.start()
            await self._webhook.register(UPDATES)
            log.info("telegram: webhook mode as @%s", self.username)
            return
        updater = self._app.updater
        assert updater is not None
        await updater.start_polling(
            poll_interval=0.0,
            timeout=timedelta(seconds=20),
            allowed_updates=UPDATES,
            error_callback=self._on_polling_error,
        )
        log.info("telegram: polling as @%s", self.username)

    async def stop(self) -> None:
        if self._webhook is not None:
            await self._webhook.stop()
            if self._delete_webhook and self._app.running:
                await self._webhook.unregister()
        updater = self._app.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self._app.running:
            await self._app.stop()
        await self._app.shutdown()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # -- Platform -----------------------------------------------------------------------

    async def send(self, chat: ChatRef, reply: Reply) -> SentMessage:
        """Send a reply; on flood control wait as told and try once more (never drop it)."""
        try:
            return await self._send_once(chat, reply)
        except RetryAfter as exc:
            wait = _seconds(exc)
            log.warning("telegram: flood control on send, retrying in %.0f s", wait)
            await asyncio.sleep(wait)
        try:
            return await self._send_once(chat, reply)
        except RetryAfter as exc:
            raise RateLimited(_seconds(exc)) from None

    async def edit(self, sent: SentMessage, reply: Text) -> None:
        try:
            await self._app.bot.edit_message_text(
                chat_id=int(sent.chat.chat_id),
                message_id=int(sent.message_id),
                text=reply.text,
                reply_markup=keyboard(reply.buttons),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except RetryAfter as exc:
            raise RateLimited(_seconds(exc)) from None
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise

    async def delete(self, chat: ChatRef, message_id: str) -> bool:
        try:
            return await self._app.bot.delete_message(int(chat.chat_id), int(message_id))
        except (BadRequest, Forbidden):
            return False

    async def download(self, attachment: Attachment, dest: Path) -> Path:
        limit = self.limits.max_download_bytes
        if limit is not None and attachment.size is not None and attachment.size > limit:
            raise TooBigToDownload(attachment.size, limit)
        try:
            file = await self._app.bot.get_file(attachment.file_id)
        except BadRequest as exc:
            if "too big" in exc.message.lower():
                raise TooBigToDownload(attachment.size, limit or CLOUD_DOWNLOAD_LIMIT) from None
            raise DownloadFailed("getFile refused the file") from None
        except TelegramError:
            raise DownloadFailed("getFile failed") from None
        if not file.file_path:
            raise DownloadFailed("no file path")
        if Path(file.file_path).is_absolute():  # local Bot API server: same file system
            try:
                await asyncio.to_thread(shutil.copyfile, file.file_path, dest)
            except OSError:
                raise DownloadFailed("local file not readable") from None
            return dest
        await self._stream(file.file_path, dest, limit)
        return dest

    def private_chat_link(self, user: UserRef, payload: str = "") -> str | None:
        if not self.username:
            return None
        start = _PAYLOAD.sub("", payload)[:64]
        link = f"https://t.me/{self.username}"
        return f"{link}?start={start}" if start else link

    async def open_private_chat(self, user: UserRef) -> ChatRef | None:
        return None  # a bot cannot start a chat: the user follows the deep link

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        return await self._admins.is_admin(self._app.bot, chat, user)

    async def is_chat_member(self, chat: ChatRef, user: UserRef) -> bool:
        return await is_member(self._app.bot, chat, user)

    # -- internals ----------------------------------------------------------------------

    async def _send_once(self, chat: ChatRef, reply: Reply) -> SentMessage:
        bot, chat_id = self._app.bot, int(chat.chat_id)
        if isinstance(reply, Text):
            message = await bot.send_message(
                chat_id,
                reply.text,
                reply_markup=keyboard(reply.buttons),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        elif isinstance(reply, Image):
            message = await bot.send_photo(
                chat_id, reply.data, caption=_caption(reply.caption), filename=reply.name
            )
        else:
            assert isinstance(reply, Document)
            data = await asyncio.to_thread(reply.path.read_bytes)
            message = await bot.send_document(
                chat_id, data, caption=_caption(reply.caption), filename=reply.name
            )
        return SentMessage(chat, str(message.message_id))

    async def _stream(self, url: str, dest: Path, limit: int | None) -> None:
        """Stream the file to `dest` (the URL holds the token: never log it)."""
        assert self._http is not None, "start() was not called"
        try:
            await self._stream_to(url, dest, limit)
        except BaseException as exc:
            await asyncio.to_thread(dest.unlink, missing_ok=True)
            if isinstance(exc, httpx.HTTPError):
                raise DownloadFailed("network error while downloading") from None
            if isinstance(exc, OSError):
                raise DownloadFailed("cannot write the file") from None
            raise

    async def _stream_to(self, url: str, dest: Path, limit: int | None) -> None:
        assert self._http is not None
        received = 0
        async with self._http.stream("GET", url) as response:
            if response.status_code != 200:
                raise DownloadFailed(f"HTTP {response.status_code}")
            async with aiofiles.open(dest, "wb") as out:
                async for chunk in response.aiter_bytes(1 << 20):
                    received += len(chunk)
                    if limit is not None and received > limit:
                        raise TooBigToDownload(received, limit)
                    await out.write(chunk)

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is not None:
            try:
                await query.answer()
            except TelegramError as exc:
                log.warning("telegram: answerCallbackQuery failed (%s)", type(exc).__name__)
        message = from_update(update, self.username, self.bot_id)
        if message is None:
            return
        if message.event in (ChatEvent.BOT_REMOVED, ChatEvent.BOT_ADDED):
            self._admins.forget_chat(message.chat)
        try:
            await self._dispatcher.handle(self, message)
        except Exception as exc:
            log.error("telegram: an update could not be handled (%s)", type(exc).__name__)
            log.debug("details", exc_info=True)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram: error while processing (%s)", type(context.error).__name__)

    def _on_polling_error(self, error: TelegramError) -> None:
        log.warning("telegram: polling failed (%s), retrying", type(error).__name__)

    async def _publish_commands(self) -> None:
        """The command menu, in every language the bot speaks (best effort)."""
        visible = list(self._dispatcher.registry.visible())
        try:
            for language in SUPPORTED_LANGUAGES:
                t = translator(language)
                commands = [BotCommand(c.name, t(c.help_key)[:256]) for c in visible]
                code = None if language == "en" else language
                await self._app.bot.set_my_commands(commands, language_code=code)
        except TelegramError as exc:
            log.warning("telegram: could not publish the commands (%s)", type(exc).__name__)


def _caption(text: str | None) -> str | None:
    return text[:1024] if text else None
