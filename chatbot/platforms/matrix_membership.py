"""Memberships and room admins on Matrix: power levels, who is in a room, kicks and bans.

* A room administrator has a power level of at least `ADMIN_LEVEL` (50, "moderator" in
  Element). In room version 12 and later the room's creators outrank every power level
  (they are not listed in ``m.room.power_levels``), so they count as administrators too.
* matrix-nio does not process the ``leave`` section of a sync, which is where the bot's
  own kick or ban arrives: `own_removals` finds those events in the raw sync response.
"""

from __future__ import annotations

import logging
from typing import Any

from nio import (
    AsyncClient,
    RoomGetStateEventResponse,
    RoomGetStateResponse,
    RoomMemberEvent,
    SyncResponse,
)

log = logging.getLogger(__name__)

ADMIN_LEVEL = 50
PRIVILEGED_CREATORS_FROM = 12  # room version where creators have unlimited power


def own_removals(response: SyncResponse, user_id: str) -> dict[str, RoomMemberEvent]:
    """The bot's latest leave/ban event per room that the sync reports as left."""
    found: dict[str, RoomMemberEvent] = {}
    for room_id, info in response.rooms.leave.items():
        for event in [*info.state, *info.timeline.events]:
            if (
                isinstance(event, RoomMemberEvent)
                and event.state_key == user_id
                and event.membership in ("leave", "ban")
            ):
                found[room_id] = event
    return found


def removed_by_others(event: RoomMemberEvent, user_id: str) -> bool:
    """A kick or a ban (not the bot leaving by itself)."""
    return bool(event.membership == "ban" or event.sender != user_id)


def _version(room_version: object) -> int:
    try:
        return int(str(room_version))
    except ValueError:
        return 0  # experimental versions ("org.matrix.msc...") are treated as old ones


def admin_in_state(events: list[dict[str, Any]], user_id: str) -> bool:
    """Whether the room state (raw events) makes `user_id` an administrator."""
    latest = {e.get("type"): e for e in events if e.get("state_key") == ""}
    create = latest.get("m.room.create") or {}
    content = create.get("content") or {}
    if _version(content.get("room_version", "1")) >= PRIVILEGED_CREATORS_FROM:
        creators = {create.get("sender"), *(content.get("additional_creators") or ())}
        if user_id in creators:
            return True
    levels = (latest.get("m.room.power_levels") or {}).get("content") or {}
    users = levels.get("users")
    level = (users if isinstance(users, dict) else {}).get(user_id, levels.get("users_default", 0))
    return isinstance(level, int) and level >= ADMIN_LEVEL


async def is_room_admin(client: AsyncClient, room_id: str, user_id: str) -> bool:
    """Whether `user_id` administers the room: from the synced state when the bot has it
    (and the room predates privileged creators), else from the homeserver."""
    room = client.rooms.get(room_id)
    if (
        room is not None
        and room.power_levels.users  # the power levels were synced
        and _version(room.room_version) < PRIVILEGED_CREATORS_FROM
    ):
        return bool(room.power_levels.get_user_level(user_id) >= ADMIN_LEVEL)
    response = await client.room_get_state(room_id)
    if not isinstance(response, RoomGetStateResponse):
        log.warning("matrix: could not read a room's state: %s", type(response).__name__)
        return False
    return admin_in_state(list(response.events), user_id)


async def is_joined(client: AsyncClient, room_id: str, user_id: str) -> bool:
    """Whether `user_id` is joined to the room now, asked of the homeserver (the synced
    member list may lag behind a kick)."""
    response = await client.room_get_state_event(room_id, "m.room.member", user_id)
    if not isinstance(response, RoomGetStateEventResponse):
        return False  # never a member (404), or the bot cannot see the room
    return bool(response.content.get("membership") == "join")
