"""Encrypted events whose room key has not arrived yet: kept (bounded), asked for again,
and decrypted once the key comes, so that a late key never loses a message."""

from __future__ import annotations

import logging
from typing import Any

from nio import AsyncClient, MatrixRoom, MegolmEvent

log = logging.getLogger(__name__)

PER_SESSION = 20  # events kept per missing key
SESSIONS = 500  # missing keys remembered


class LateKeys:
    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self._waiting: dict[str, list[tuple[MatrixRoom, MegolmEvent]]] = {}

    async def wait(self, room: MatrixRoom, event: MegolmEvent) -> None:
        """Keep `event` until its key arrives, and ask the sender's devices for it."""
        pending = self._waiting.setdefault(event.session_id, [])
        pending.append((room, event))
        del pending[:-PER_SESSION]
        while len(self._waiting) > SESSIONS:
            self._waiting.pop(next(iter(self._waiting)))
        log.info("matrix: waiting for the key of an event in %s", room.room_id)
        try:
            await self.client.request_room_key(event)
        except Exception as exc:  # already requested, or no store: the key may still come
            log.debug("matrix: room key request not sent: %r", exc)

    def arrived(self, key_event: Any) -> list[tuple[MatrixRoom, Any]]:
        """The events a room key just received decrypts, with their rooms."""
        decrypted = []
        for room, megolm in self._waiting.pop(getattr(key_event, "session_id", ""), []):
            try:
                decrypted.append((room, self.client.decrypt_event(megolm)))
            except Exception:
                log.warning("matrix: an event stayed undecryptable", exc_info=True)
        return decrypted
