"""`MatrixUser`: a real Matrix client (matrix-nio, with E2EE) playing a person.

It syncs in the background, accepts nothing by itself, and records every message of
every room (decrypted when the room is encrypted) so tests can wait for what the
person would see.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    EnableEncryptionBuilder,
    InviteMemberEvent,
    JoinResponse,
    LoginResponse,
    MatrixRoom,
    MegolmEvent,
    RoomCreateResponse,
    RoomEncryptedMedia,
    RoomGetStateEventResponse,
    RoomKickResponse,
    RoomMessage,
    RoomPreset,
    RoomPutStateResponse,
    RoomSendResponse,
    UploadResponse,
)
from nio.crypto.attachments import decrypt_attachment

WAIT_S = 30.0


def as_shown(text: str) -> str:
    """What the bot shows on Matrix for a catalog text: ``!cmd`` for ``/cmd`` (Element
    would run /join, /leave, /help itself), as `MatrixPlatform.bang` does."""
    return re.sub(r"(?<![\w/:.@!-])/([A-Za-z_]{2,32})\b", r"!\1", text)


class MatrixUser:
    def __init__(self, homeserver: str, user_id: str, password: str, store: Path) -> None:
        store.mkdir(parents=True, exist_ok=True)
        config = AsyncClientConfig(encryption_enabled=True, max_timeouts=5, request_timeout=30)
        self.client = AsyncClient(homeserver, user_id, store_path=str(store), config=config)
        self.user_id = user_id
        self.password = password
        self.messages: dict[str, list[Any]] = defaultdict(list)
        self.undecrypted: list[MegolmEvent] = []
        self.invites: list[str] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        response = await self.client.login(self.password, device_name="e2e-test")
        assert isinstance(response, LoginResponse), response
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        await self.client.sync(timeout=0, full_state=True)
        self.client.add_event_callback(self._on_message, RoomMessage)
        self.client.add_event_callback(self._on_message, RoomEncryptedMedia)
        self.client.add_event_callback(self._on_undecrypted, MegolmEvent)
        self.client.add_event_callback(self._on_invite, InviteMemberEvent)
        self._task = asyncio.create_task(self.client.sync_forever(timeout=5000))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.client.close()

    async def _on_message(self, room: MatrixRoom, event: Any) -> None:
        # an encrypted image is both a RoomMessage and a RoomEncryptedMedia: record it once
        if all(seen.event_id != event.event_id for seen in self.messages[room.room_id][-20:]):
            self.messages[room.room_id].append(event)

    async def _on_undecrypted(self, room: MatrixRoom, event: MegolmEvent) -> None:
        self.undecrypted.append(event)

    async def _on_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == self.user_id and event.membership == "invite":
            self.invites.append(room.room_id)

    # -- rooms -----------------------------------------------------------------------

    async def create_room(self, invite: list[str], *, direct: bool, encrypted: bool) -> str:
        response = await self.client.room_create(
            is_direct=direct,
            invite=invite,
            preset=RoomPreset.trusted_private_chat if direct else RoomPreset.private_chat,
            initial_state=[EnableEncryptionBuilder().as_dict()] if encrypted else [],
        )
        assert isinstance(response, RoomCreateResponse), response
        await self.wait(lambda: response.room_id in self.client.rooms, "the new room")
        return str(response.room_id)

    async def join(self, room_id: str) -> None:
        response = await self.client.join(room_id)
        assert isinstance(response, JoinResponse), response
        await self.wait(lambda: room_id in self.client.rooms, f"joining {room_id}")

    async def wait_joined(self, room_id: str, user_id: str) -> None:
        def joined() -> bool:
            room = self.client.rooms.get(room_id)
            return bool(room and user_id in room.users and user_id not in room.invited_users)

        await self.wait(joined, f"{user_id} joining {room_id}")

    async def set_power_level(self, room_id: str, user_id: str, level: int) -> None:
        """Change a member's power level (this person needs the rights to do it)."""
        got = await self.client.room_get_state_event(room_id, "m.room.power_levels")
        assert isinstance(got, RoomGetStateEventResponse), got
        content = dict(got.content)
        content["users"] = {**content.get("users", {}), user_id: level}
        put = await self.client.room_put_state(room_id, "m.room.power_levels", content)
        assert isinstance(put, RoomPutStateResponse), put

    async def kick(self, room_id: str, user_id: str) -> None:
        response = await self.client.room_kick(room_id, user_id, reason="test")
        assert isinstance(response, RoomKickResponse), response

    # -- sending ---------------------------------------------------------------------

    async def send_text(self, room_id: str, text: str) -> str:
        content = {"msgtype": "m.text", "body": text}
        return await self._send(room_id, content)

    async def send_file(self, room_id: str, path: Path, mimetype: str) -> str:
        encrypted = self.client.rooms[room_id].encrypted
        size = len(data := path.read_bytes())  # noqa: ASYNC240 (small test files)
        with io.BytesIO(data) as handle:
            response, keys = await self.client.upload(
                handle,
                content_type=mimetype,
                filename=path.name,
                encrypt=encrypted,
                filesize=size,
            )
        assert isinstance(response, UploadResponse), response
        content: dict[str, Any] = {
            "msgtype": "m.file",
            "body": path.name,
            "filename": path.name,
            "info": {"mimetype": mimetype, "size": size},
        }
        if keys is not None:
            content["file"] = {**keys, "url": response.content_uri}
        else:
            content["url"] = response.content_uri
        return await self._send(room_id, content)

    async def _send(self, room_id: str, content: dict[str, Any]) -> str:
        response = await self.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    # -- what the person sees --------------------------------------------------------

    def from_user(self, room_id: str, sender: str, since: int = 0) -> list[Any]:
        return [e for e in self.messages[room_id][since:] if e.sender == sender]

    def mark(self, room_id: str) -> int:
        """A position in the room's history: wait for messages after it."""
        return len(self.messages[room_id])

    async def wait_for(
        self,
        room_id: str,
        sender: str,
        match: Callable[[Any], bool],
        since: int,
        what: str,
        within: float = WAIT_S,
    ) -> Any:
        found: list[Any] = []

        def seen() -> bool:
            found[:] = [e for e in self.from_user(room_id, sender, since) if match(e)]
            return bool(found)

        await self.wait(seen, what, within)
        return found[0]

    async def wait_text(
        self, room_id: str, sender: str, contains: str, since: int, within: float = WAIT_S
    ) -> str:
        contains = as_shown(contains)
        event = await self.wait_for(
            room_id,
            sender,
            lambda e: contains in (getattr(e, "body", "") or ""),
            since,
            f"a message containing {contains!r}",
            within,
        )
        return str(event.body)

    async def wait(self, condition: Callable[[], bool], what: str, within: float = WAIT_S) -> None:
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.user_id}: timed out waiting for {what}; seen: {self.summary()}"
                )
            await asyncio.sleep(0.05)

    def summary(self) -> str:
        lines = []
        for room_id, events in self.messages.items():
            for event in events[-8:]:
                body = (getattr(event, "body", "") or "").replace("\n", " ")[:90]
                lines.append(f"{room_id[:8]} {event.sender}: {type(event).__name__} {body}")
        if self.undecrypted:
            lines.append(f"{len(self.undecrypted)} undecryptable events")
        return "\n  " + "\n  ".join(lines)

    async def download(self, event: Any) -> bytes:
        """The bytes of an image/file event, decrypted when it was encrypted."""
        response = await self.client.download(mxc=event.url)
        body = getattr(response, "body", None)
        assert isinstance(body, bytes), response
        if isinstance(event, RoomEncryptedMedia):
            return bytes(
                decrypt_attachment(body, event.key["k"], event.hashes["sha256"], event.iv)
            )
        return body
