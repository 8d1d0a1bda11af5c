"""The Matrix adapter: a matrix-nio client that turns room events into neutral messages.

* Login once, then reuse the device and crypto store (see `matrix_session`).
* A background sync loop; the first sync only catches up (nothing from before start-up
  is answered), and events from before the bot joined a room are ignored. The sync
  position survives restarts in both modes (`matrix_sync`), so nothing is replayed.
* Invites are accepted automatically; joining a group room after an invite, and being
  kicked or banned from one, reach the handlers as `ChatEvent`s (see `matrix_membership`).
  The bot's own events and every ``m.notice`` are ignored (``m.notice`` is the bot
  convention that prevents bot-to-bot loops).
* Each event is handled in its own task; the dispatcher serialises each user's events.
  One failing event never stops the sync loop.
* End-to-end encryption (vodozemac via matrix-nio[e2e]): keys are uploaded at start-up,
  room keys arrive as to-device events, and events whose key arrives late are decrypted
  and handled once it does. The bot trusts devices without verification.

Addressing in group rooms is described in `matrix_events`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Coroutine
from typing import Any

from nio import (
    ContentRepositoryConfigResponse,
    ForwardedRoomKeyEvent,
    InviteMemberEvent,
    JoinError,
    LocalProtocolError,
    MatrixRoom,
    MegolmEvent,
    ProfileGetDisplayNameResponse,
    RoomEncryptedMedia,
    RoomKeyEvent,
    RoomMemberEvent,
    RoomMessageMedia,
    RoomMessageText,
    SyncResponse,
)

from chatbot.config import ArchiveLimits, Settings
from chatbot.conversation import Dispatcher
from chatbot.conversation.secret_guard import holds_app_password
from chatbot.platforms.base import ChatEvent, IncomingMessage, Platform, UserRef
from chatbot.platforms.matrix_events import (
    BotNames,
    attachment_from_content,
    edited_text,
    is_edit,
    looks_like_archive,
    parse_text,
    reply_target,
)
from chatbot.platforms.matrix_keys import LateKeys
from chatbot.platforms.matrix_membership import own_removals, removed_by_others
from chatbot.platforms.matrix_platform import MatrixPlatform
from chatbot.platforms.matrix_session import login, make_client, store_dir
from chatbot.platforms.matrix_sync import SyncPosition, catch_up_timeout_ms, newest_event_times

log = logging.getLogger(__name__)

SYNC_TIMEOUT_MS = 30_000
STOP_GRACE_S = 20.0
FIRST_SYNC_FILTER = {"room": {"timeline": {"limit": 1}}}
GREET_ON_JOIN = True  # a direct chat starts with the /start greeting, as on Telegram
MESSAGE_EVENTS = (RoomMessageText, RoomMessageMedia, RoomEncryptedMedia)


class MatrixAdapter:
    """Runs the Matrix connection; `platform` is what handlers talk to."""

    platform: Platform

    def __init__(self, settings: Settings, dispatcher: Dispatcher) -> None:
        self.settings = settings
        self.dispatcher = dispatcher
        self._store = store_dir(settings)
        self._position = SyncPosition(self._store)
        self.client = make_client(settings, self._store)
        self.matrix = MatrixPlatform(
            self.client,
            encryption=self.client.config.encryption_enabled,
            max_file_bytes=ArchiveLimits().max_upload_bytes,
        )
        self.matrix.commands = frozenset(dispatcher.registry.names())
        self.platform = self.matrix
        self._names = BotNames(settings.matrix_user or "")
        self._ready = False
        self._sync_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._late_keys = LateKeys(self.client)

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        client = self.client
        await login(client, self.settings, self._store)
        if client.olm is not None and client.should_upload_keys:
            await client.keys_upload()
        await self._read_limits()
        self._names = BotNames(client.user_id, await self._display_name())
        client.add_event_callback(self._on_invite, InviteMemberEvent)
        client.add_event_callback(self._on_member, RoomMemberEvent)
        client.add_event_callback(self._on_message, MESSAGE_EVENTS)
        client.add_event_callback(self._on_undecrypted, MegolmEvent)
        client.add_to_device_callback(self._on_room_key, (RoomKeyEvent, ForwardedRoomKeyEvent))
        client.add_response_callback(self._on_sync, SyncResponse)
        # Catch up without answering anything from before start-up, from where the last
        # run stopped (nio's crypto store knows it only with encryption on).
        if not client.loaded_sync_token:
            client.loaded_sync_token = self._position.load()
        timeout = catch_up_timeout_ms()
        await client.sync(timeout=timeout, sync_filter=FIRST_SYNC_FILTER, full_state=True)
        self._position.save(client.next_batch)
        for room_id in client.rooms:
            self.matrix.joined_at.setdefault(room_id, 0)
        for room_id, invited in list(client.invited_rooms.items()):
            self._spawn(self._join(room_id, invited.inviter))
        self._ready = True
        self._sync_task = asyncio.create_task(self._sync_loop(), name="matrix-sync")
        log.info("matrix: syncing as %s", client.user_id)

    async def stop(self) -> None:
        self._ready = False  # new events are ignored from now on
        if self._tasks:  # let replies in flight finish (they may need the sync loop)
            _, pending = await asyncio.wait(set(self._tasks), timeout=STOP_GRACE_S)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self.client.stop_sync_forever()
        if self._sync_task is not None:
            self._sync_task.cancel()
            await asyncio.gather(self._sync_task, return_exceptions=True)
        await self.client.close()

    async def _sync_loop(self) -> None:
        delay = 1.0
        while True:
            try:
                await self.client.sync_forever(timeout=SYNC_TIMEOUT_MS, full_state=False)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if isinstance(exc, LocalProtocolError) and "No key query" in str(exc):
                    # nio's race: a reply's send made the key query the loop planned
                    log.info("matrix: sync loop restarted (%s)", exc)
                    continue
                log.exception("matrix: sync failed; retrying in %.0f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    async def _read_limits(self) -> None:
        response = await self.client.content_repository_config()
        if isinstance(response, ContentRepositoryConfigResponse) and response.upload_size:
            self.matrix.limits = dataclasses.replace(
                self.matrix.limits, max_upload_bytes=response.upload_size
            )
            log.info("matrix: the homeserver accepts uploads up to %d bytes", response.upload_size)

    async def _display_name(self) -> str | None:
        response = await self.client.get_displayname()
        if isinstance(response, ProfileGetDisplayNameResponse) and response.displayname:
            return str(response.displayname)
        return None

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("matrix: event task failed", exc_info=task.exception())

    # -- membership ------------------------------------------------------------------

    async def _on_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key != self.client.user_id or event.membership != "invite":
            return
        if event.content.get("is_direct"):
            self.matrix.direct_hints.add(room.room_id)
        if self._ready:
            self._spawn(self._join(room.room_id, event.sender))

    async def _join(self, room_id: str, inviter: str | None) -> None:
        for attempt in range(3):
            response = await self.client.join(room_id)
            if not isinstance(response, JoinError):
                log.info("matrix: joined %s", room_id)
                break
            log.warning("matrix: joining %s failed: %s", room_id, response.message)
            await asyncio.sleep(2 * (attempt + 1))
        else:
            return
        if not inviter:
            return
        await self.matrix.wait_for_room(room_id)
        chat = self.matrix.chat_ref(room_id)
        room = self.client.rooms.get(room_id)
        name = room.user_name(inviter) if room is not None else None
        user = UserRef("matrix", inviter, display_name=name)
        if not chat.is_private:  # a group: tell the handlers who brought the bot in
            await self._dispatch(
                IncomingMessage(chat, user, f"join:{room_id}", event=ChatEvent.BOT_ADDED)
            )
        elif GREET_ON_JOIN and self.dispatcher.registry.get("start") is not None:
            # a new direct chat: greet as Telegram's /start would
            message = IncomingMessage(
                chat, user, f"join:{room_id}", text="/start", command="start"
            )
            await self._dispatch(message)

    async def _on_member(self, room: MatrixRoom, event: RoomMemberEvent) -> None:
        if event.state_key != self.client.user_id:
            gone = self._ready and event.membership in ("leave", "ban")
            if gone and event.prev_membership == "join" and room.room_id in self.matrix.joined_at:
                member = UserRef("matrix", event.state_key)  # left, kicked or banned
                chat = self.matrix.chat_ref(room.room_id)
                self._spawn(self._dispatch(IncomingMessage(
                    chat, member, event.event_id, event=ChatEvent.MEMBER_LEFT)))  # fmt: skip
            if gone and room.member_count <= 1:
                self._spawn(self._leave(room.room_id))  # everyone else left: tidy up
            return
        if event.membership == "join" and event.prev_membership != "join":
            self.matrix.joined_at[room.room_id] = event.server_timestamp
        elif event.membership in ("leave", "ban"):
            self.matrix.joined_at.pop(room.room_id, None)

    async def _on_sync(self, response: SyncResponse) -> None:
        """Save the position; rooms joined unseen; kicks and bans of the bot (nio leaves a
        sync's left rooms to us)."""
        self._position.save(response.next_batch)
        for room_id, newest in newest_event_times(response.rooms.join).items():
            self.matrix.joined_at.setdefault(room_id, newest)  # its join was not in view
        if not self._ready:
            return
        for room_id, event in own_removals(response, self.client.user_id).items():
            known = self.matrix.joined_at.pop(room_id, None) is not None
            if not known or not removed_by_others(event, self.client.user_id):
                continue  # the bot left by itself, or it was never in that room
            chat = self.matrix.chat_ref(room_id)
            log.info("matrix: removed from %s (%s)", room_id, event.membership)
            if not chat.is_private:
                user = UserRef("matrix", event.sender)
                removed = IncomingMessage(chat, user, event.event_id, event=ChatEvent.BOT_REMOVED)
                self._spawn(self._dispatch(removed))

    async def _leave(self, room_id: str) -> None:
        self.matrix.joined_at.pop(room_id, None)
        await self.client.room_leave(room_id)
        await self.client.room_forget(room_id)
        log.info("matrix: left %s (nobody else was there)", room_id)

    # -- messages --------------------------------------------------------------------

    async def _on_message(self, room: MatrixRoom, event: Any) -> None:
        if not self._ready or event.sender == self.client.user_id:
            return
        joined = self.matrix.joined_at.get(room.room_id)
        if joined is None or event.server_timestamp < joined:
            return  # from before the bot joined
        content = event.source.get("content") or {}
        if content.get("msgtype") == "m.notice":
            return
        if is_edit(content):  # never a command again; only a password it adds matters
            edited = edited_text(content)
            if edited is not None and holds_app_password(edited):
                user = UserRef("matrix", event.sender, display_name=room.user_name(event.sender))
                chat, edit_id = self.matrix.chat_ref(room.room_id), event.event_id
                edit = IncomingMessage(chat, user, edit_id, text=edited, addressed=False)
                self._spawn(self._dispatch(edit))
            return
        message = self._incoming(room, event, content)
        if message is not None:
            self._spawn(self._dispatch(message))

    def _incoming(
        self, room: MatrixRoom, event: Any, content: dict[str, Any]
    ) -> IncomingMessage | None:
        chat = self.matrix.chat_ref(room.room_id)
        user = UserRef("matrix", event.sender, display_name=room.user_name(event.sender))
        if isinstance(event, RoomMessageText):
            parsed = parse_text(
                content,
                names=self._names,
                private=chat.is_private,
                reply_to_bot=self.matrix.is_own_event(reply_target(content)),
                known_command=lambda name: self.dispatcher.registry.get(name) is not None,
            )
            return IncomingMessage(
                chat,
                user,
                event.event_id,
                text=parsed.text,
                command=parsed.command,
                args=parsed.args,
                addressed=parsed.addressed,
            )
        attachment = attachment_from_content(content)
        if attachment is None:
            return None
        addressed = (
            chat.is_private
            or looks_like_archive(attachment)
            or self.matrix.is_own_event(reply_target(content))
        )
        return IncomingMessage(
            chat, user, event.event_id, attachment=attachment, addressed=addressed
        )

    async def _dispatch(self, message: IncomingMessage) -> None:
        try:
            await self.dispatcher.handle(self.matrix, message)
        except Exception:
            log.exception("matrix: handling an event failed")

    # -- late room keys --------------------------------------------------------------

    async def _on_undecrypted(self, room: MatrixRoom, event: MegolmEvent) -> None:
        if self._ready and event.sender != self.client.user_id:
            await self._late_keys.wait(room, event)

    async def _on_room_key(self, event: Any) -> None:
        for room, decrypted in self._late_keys.arrived(event):
            if isinstance(decrypted, MESSAGE_EVENTS):
                await self._on_message(room, decrypted)
