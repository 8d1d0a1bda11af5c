"""The Matrix side of `Platform`: sending (m.notice, m.image, m.file), edits, redactions,
private rooms. Downloads live in `matrix_media`.

Every message event goes through `_put`, which encrypts for encrypted rooms (sharing the
room key with unverified devices too: the bot cannot verify anyone) and handles 429
M_LIMIT_EXCEEDED itself: sends wait and retry with the same transaction id (a reply is
never dropped nor duplicated); edits raise `RateLimited` so progress updates are skipped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import uuid4

from aiohttp import ClientError, ClientResponse
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
    Document,
    Image,
    PlatformLimits,
    RateLimited,
    Reply,
    SentMessage,
    Text,
    UserRef,
)
from chatbot.platforms.matrix_events import is_private_room
from chatbot.platforms.matrix_media import download_attachment, png_size

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 8  # connection failures before a send gives up (429s retry without limit)
MAX_RETRY_WAIT_S = 300.0


class MatrixSendError(Exception):
    """The homeserver refused an event (not a rate limit)."""


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
        if isinstance(reply, Text):
            content: dict[str, Any] = {"msgtype": "m.notice", "body": reply.text}
        elif isinstance(reply, Image):
            content = await self._media_content(chat.chat_id, "m.image", reply.name, reply.data,
                                                "image/png", reply.caption)
            width_height = png_size(reply.data)
            if width_height:
                content["info"]["w"], content["info"]["h"] = width_height
        else:
            content = await self._document_content(chat.chat_id, reply)
        event_id = await self._put(chat.chat_id, "m.room.message", content, retry=True)
        return SentMessage(chat, event_id)

    async def edit(self, sent: SentMessage, reply: Text) -> None:
        new = {"msgtype": "m.notice", "body": reply.text}
        content = {
            "msgtype": "m.notice",
            "body": "* " + reply.text,
            "m.new_content": new,
            "m.relates_to": {"rel_type": "m.replace", "event_id": sent.message_id},
        }
        await self._put(sent.chat.chat_id, "m.room.message", content, retry=False)

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
        await self._wait_for_room(room_id)
        return ChatRef("matrix", room_id, is_private=True)

    # -- internals -------------------------------------------------------------------

    async def _wait_for_room(self, room_id: str, timeout: float = 15.0) -> None:
        """Wait until the sync loop has seen a room (needed to encrypt for its members)."""
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

    async def _media_content(
        self, room_id: str, msgtype: str, name: str, data: bytes, mime: str,
        caption: str | None,
    ) -> dict[str, Any]:
        import io

        encrypt = self._encrypted(room_id)
        response, keys = await self.client.upload(
            io.BytesIO(data), content_type=mime, filename=name, encrypt=encrypt,
            filesize=len(data),
        )
        return self._content(msgtype, name, response, keys, mime, len(data), caption)

    async def _document_content(self, room_id: str, document: Document) -> dict[str, Any]:
        size = document.path.stat().st_size
        encrypt = self._encrypted(room_id)
        with document.path.open("rb") as handle:
            response, keys = await self.client.upload(
                handle, content_type=document.mime_type, filename=document.name,
                encrypt=encrypt, filesize=size,
            )
        return self._content("m.file", document.name, response, keys, document.mime_type,
                             size, document.caption)

    @staticmethod
    def _content(
        msgtype: str, name: str, response: object, keys: dict[str, Any] | None, mime: str,
        size: int, caption: str | None,
    ) -> dict[str, Any]:
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

    def _encrypted(self, room_id: str) -> bool:
        room = self.client.rooms.get(room_id)
        return bool(room is not None and room.encrypted and self.client.olm)

    async def _prepare_encryption(self, room_id: str) -> None:
        """What nio's room_send does before encrypting: members, device keys, room key."""
        client = self.client
        room = client.rooms[room_id]
        if not room.members_synced:
            await client.joined_members(room_id)
            if client.should_query_keys:
                await client.keys_query()
        if client.olm.should_share_group_session(room_id):
            sharing = client.sharing_session.get(room_id)
            if sharing is not None:
                await sharing.wait()
            else:
                await client.share_group_session(room_id, ignore_unverified_devices=True)

    async def _put(
        self, room_id: str, event_type: str, content: dict[str, Any], *, retry: bool
    ) -> str:
        if self._encrypted(room_id):
            await self._prepare_encryption(room_id)
            event_type, content = self.client.encrypt(room_id, event_type, content)
        path = (
            f"/_matrix/client/v3/rooms/{quote(room_id, safe='')}/send/"
            f"{quote(event_type, safe='')}/{uuid4().hex}"
        )
        body = json.dumps(content)
        failures = 0
        while True:
            try:
                response = await self.client.send(
                    "PUT", path, body,
                    {"Content-Type": "application/json",
                     "Authorization": f"Bearer {self.client.access_token}"},
                )
                data = await _json(response)
            except (ClientError, TimeoutError) as exc:
                failures += 1
                if not retry or failures >= SEND_ATTEMPTS:
                    raise MatrixSendError(f"sending to {room_id} failed: {exc!r}") from None
                await asyncio.sleep(min(2.0**failures, 30.0))
                continue
            if response.status == 200 and isinstance(data.get("event_id"), str):
                self._remember(data["event_id"])
                return str(data["event_id"])
            if response.status == 429 or data.get("errcode") == "M_LIMIT_EXCEEDED":
                wait = retry_after_seconds(response.headers.get("Retry-After"), data)
                if not retry:
                    raise RateLimited(wait)
                log.info("matrix: rate limited, sending again in %.1f s", wait)
                await asyncio.sleep(wait)
                continue
            raise MatrixSendError(
                f"the homeserver refused an event in {room_id}: {response.status} "
                f"{data.get('errcode')} {data.get('error')}"
            )


async def _json(response: ClientResponse) -> dict[str, Any]:
    try:
        data = await response.json(content_type=None)
    except (ValueError, ClientError):
        return {}
    return data if isinstance(data, dict) else {}


def retry_after_seconds(header: str | None, data: dict[str, Any]) -> float:
    """How long a 429 asks us to wait: Retry-After (seconds), else retry_after_ms, else 5 s."""
    wait: float = 5.0
    if header:
        try:
            wait = float(header)
        except ValueError:
            pass
    elif isinstance(data.get("retry_after_ms"), int | float):
        wait = float(data["retry_after_ms"]) / 1000
    return min(max(wait, 0.1), MAX_RETRY_WAIT_S)
