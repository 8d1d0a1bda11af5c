"""The Matrix side of `Platform`: replies as m.notice, charts as m.image, files as
m.file, edits (m.replace), redactions and private rooms.

Events go out through `matrix_send` (encryption, rate limits); downloads live in
`matrix_media`.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, BinaryIO

from nio import (
    AsyncClient,
    EnableEncryptionBuilder,
    RoomCreateResponse,
    RoomPreset,
    RoomRedactResponse,
    UploadResponse,
)

from chatbot.platforms.base import (
    Attachment,
    ChatRef,
    Image,
    PlatformLimits,
    Reply,
    SentMessage,
    Text,
    UserRef,
)
from chatbot.platforms.matrix_events import is_private_room
from chatbot.platforms.matrix_media import download_attachment, png_size
from chatbot.platforms.matrix_membership import is_joined, is_room_admin
from chatbot.platforms.matrix_send import MatrixSendError, room_encrypted, send_event

log = logging.getLogger(__name__)

ROOM_SYNC_WAIT_S = 15.0


_COMMAND = re.compile(r"(?<![\w/:.@!-])/([A-Za-z_]{2,32})\b")


class MatrixPlatform:
    """Implements `Platform` on a logged-in nio `AsyncClient`."""

    name = "matrix"

    def __init__(self, client: AsyncClient, *, encryption: bool, max_file_bytes: int) -> None:
        self.client = client
        self.encryption = encryption
        self.max_file_bytes = max_file_bytes
        self.limits = PlatformLimits(
            max_download_bytes=None,
            max_upload_bytes=None,
            max_text_chars=8000,
            min_edit_interval_s=3.0,
            buttons=False,
        )
        self.direct_hints: set[str] = set()
        self.joined_at: dict[str, int] = {}
        self.commands: frozenset[str] = frozenset()  # the bot's command names (the adapter)
        self._own_events: OrderedDict[str, None] = OrderedDict()

    # -- state shared with the adapter -------------------------------------------------

    @property
    def user_id(self) -> str:
        return str(self.client.user_id)

    def chat_ref(self, room_id: str) -> ChatRef:
        room = self.client.rooms.get(room_id)
        count = room.member_count if room is not None else 0
        title = room.display_name if room is not None else None
        private = is_private_room(count, room_id in self.direct_hints)
        return ChatRef("matrix", room_id, is_private=private, title=title)

    def is_own_event(self, event_id: str | None) -> bool:
        return event_id is not None and event_id in self._own_events

    def _remember(self, event_id: str) -> None:
        self._own_events[event_id] = None
        while len(self._own_events) > 5000:
            self._own_events.popitem(last=False)

    # -- Platform ------------------------------------------------------------------

    async def send(self, chat: ChatRef, reply: Reply) -> SentMessage:
        room_id = chat.chat_id
        if isinstance(reply, Text):
            content: dict[str, Any] = {"msgtype": "m.notice", "body": self.bang(reply.text)}
        elif isinstance(reply, Image):
            data = reply.data
            content = await self._upload(
                room_id,
                io.BytesIO(data),
                len(data),
                "m.image",
                reply.name,
                "image/png",
                reply.caption,
            )
            size = png_size(data)
            if size:
                content["info"]["w"], content["info"]["h"] = size
        else:
            size_bytes = (await asyncio.to_thread(reply.path.stat)).st_size
            with reply.path.open("rb") as handle:
                content = await self._upload(
                    room_id,
                    handle,
                    size_bytes,
                    "m.file",
                    reply.name,
                    reply.mime_type,
                    reply.caption,
                )
        event_id = await send_event(self.client, room_id, content, retry=True)
        self._remember(event_id)
        return SentMessage(chat, event_id)

    def bang(self, text: str) -> str:
        """``/join`` -> ``!join`` for the bot's commands: Element runs its own /join,
        /leave, /help... and never sends them, so Matrix users are shown ``!cmd``."""
        if not self.commands:
            return text
        return _COMMAND.sub(
            lambda m: "!" + m.group(1) if m.group(1).lower() in self.commands else m.group(0),
            text,
        )

    async def edit(self, sent: SentMessage, reply: Text) -> None:
        body = self.bang(reply.text)
        new = {"msgtype": "m.notice", "body": body}
        content = {
            "msgtype": "m.notice",
            "body": "* " + body,
            "m.new_content": new,
            "m.relates_to": {"rel_type": "m.replace", "event_id": sent.message_id},
        }
        await send_event(self.client, sent.chat.chat_id, content, retry=False)

    async def delete(self, chat: ChatRef, message_id: str) -> bool:
        response = await self.client.room_redact(chat.chat_id, message_id)
        return isinstance(response, RoomRedactResponse)

    async def download(self, attachment: Attachment, dest: Path) -> Path:
        return await download_attachment(self.client, attachment, dest, self.max_file_bytes)

    def private_chat_link(self, user: UserRef, payload: str = "") -> str | None:
        return f"https://matrix.to/#/{self.user_id}"

    async def open_private_chat(self, user: UserRef) -> ChatRef | None:
        for room_id, room in self.client.rooms.items():
            if (
                user.user_id in room.users
                and self.user_id in room.users
                and room.member_count == 2
                and room_id in self.joined_at
            ):
                return self.chat_ref(room_id)
        initial_state = [EnableEncryptionBuilder().as_dict()] if self.encryption else []
        response = await self.client.room_create(
            is_direct=True,
            invite=[user.user_id],
            preset=RoomPreset.trusted_private_chat,
            initial_state=initial_state,
        )
        if not isinstance(response, RoomCreateResponse):
            log.warning("matrix: could not create a private room: %s", response)
            return None
        room_id = response.room_id
        self.direct_hints.add(room_id)
        self.joined_at[room_id] = 0
        await self.wait_for_room(room_id)
        return ChatRef("matrix", room_id, is_private=True)

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        if chat.is_private:
            return False
        try:
            return await is_room_admin(self.client, chat.chat_id, user.user_id)
        except Exception as exc:  # network trouble: no rights rather than a crash
            log.warning("matrix: could not check admin rights (%s)", type(exc).__name__)
            return False

    async def is_chat_member(self, chat: ChatRef, user: UserRef) -> bool:
        if chat.is_private:
            return False
        try:
            return await is_joined(self.client, chat.chat_id, user.user_id)
        except Exception as exc:  # network trouble: not a member rather than a crash
            log.warning("matrix: could not check a membership (%s)", type(exc).__name__)
            return False

    # -- internals -------------------------------------------------------------------

    async def wait_for_room(self, room_id: str) -> None:
        """Wait until the sync loop has seen a room (needed to encrypt for its members)."""
        timeout = ROOM_SYNC_WAIT_S
        deadline = time.monotonic() + timeout
        while room_id not in self.client.rooms or self.client.rooms[room_id].member_count < 2:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log.warning("matrix: room %s not synced after %.0f s", room_id, timeout)
                return
            try:
                await asyncio.wait_for(self.client.synced.wait(), remaining)
            except TimeoutError:
                continue

    async def _upload(
        self,
        room_id: str,
        source: BinaryIO,
        size: int,
        msgtype: str,
        name: str,
        mime: str,
        caption: str | None,
    ) -> dict[str, Any]:
        """Upload a file (encrypted for encrypted rooms) and build the event content."""
        limit = self.limits.max_upload_bytes
        if limit is not None and size > limit:
            # Synapse drops the connection instead of answering 413: never even try.
            raise MatrixSendError(f"{name} ({size} bytes) is over the {limit} byte upload limit")
        response, keys = await self.client.upload(
            source,
            content_type=mime,
            filename=name,
            encrypt=room_encrypted(self.client, room_id),
            filesize=size,
        )
        if not isinstance(response, UploadResponse):
            raise MatrixSendError(f"upload of {name} failed: {response}")
        content: dict[str, Any] = {
            "msgtype": msgtype,
            "body": caption or name,
            "filename": name,
            "info": {"mimetype": mime, "size": size},
        }
        if keys is not None:
            content["file"] = {**keys, "url": response.content_uri}
        else:
            content["url"] = response.content_uri
        return content
