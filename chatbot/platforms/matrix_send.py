"""Sending one room event: encryption for encrypted rooms, and 429 handling.

Encrypted rooms get the room key shared with every device of every member, verified or
not (the bot cannot verify anyone; like ``ignore_unverified_devices=True``).
On 429 M_LIMIT_EXCEEDED, `send_event` honours Retry-After (or retry_after_ms): with
``retry=True`` it waits and sends again with the same transaction id, so a reply is
never dropped nor duplicated; with ``retry=False`` (edits) it raises `RateLimited`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any
from urllib.parse import quote
from uuid import uuid4

from aiohttp import ClientError, ClientResponse
from nio import AsyncClient

from chatbot.platforms.base import RateLimited

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 8  # connection failures before a send gives up (429s retry without limit)
MAX_RETRY_WAIT_S = 300.0


class MatrixSendError(Exception):
    """The homeserver refused an event or an upload (not a rate limit)."""


def room_encrypted(client: AsyncClient, room_id: str) -> bool:
    room = client.rooms.get(room_id)
    return bool(room is not None and room.encrypted and client.olm)


async def _prepare_encryption(client: AsyncClient, room_id: str) -> None:
    """What nio's room_send does before encrypting: members, device keys, room key."""
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


async def send_event(
    client: AsyncClient,
    room_id: str,
    content: dict[str, Any],
    *,
    retry: bool,
    event_type: str = "m.room.message",
) -> str:
    """Send one event and return its id (see the module docstring for 429s)."""
    if room_encrypted(client, room_id):
        await _prepare_encryption(client, room_id)
        event_type, content = client.encrypt(room_id, event_type, content)
    path = (
        f"/_matrix/client/v3/rooms/{quote(room_id, safe='')}/send/"
        f"{quote(event_type, safe='')}/{uuid4().hex}"
    )
    body = json.dumps(content)
    failures = 0
    while True:
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {client.access_token}",
        }
        try:
            response = await client.send("PUT", path, body, headers)
            data = await _json(response)
        except (ClientError, TimeoutError) as exc:
            failures += 1
            if not retry or failures >= SEND_ATTEMPTS:
                raise MatrixSendError(f"sending to {room_id} failed: {exc!r}") from None
            await asyncio.sleep(min(2.0**failures, 30.0))
            continue
        if response.status == 200 and isinstance(data.get("event_id"), str):
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
        with contextlib.suppress(ValueError):
            wait = float(header)
    elif isinstance(data.get("retry_after_ms"), int | float):
        wait = float(data["retry_after_ms"]) / 1000
    return min(max(wait, 0.1), MAX_RETRY_WAIT_S)
