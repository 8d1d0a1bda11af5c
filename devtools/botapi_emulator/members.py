"""Group membership: who created, administers or left a group, and the bot's own status.

Bot API side: getChatMember, getChatAdministrators and leaveChat, and the 403 errors
Telegram returns once the bot was removed from a group ("Forbidden: bot was kicked from
the group chat", "Forbidden: bot is not a member of the group chat") for every method
that names that chat. Control side (`/_test/...`):

* ``POST /_test/group`` ``{"chat": {"id": -5, "title": "Club"}, "creator": USER,
  "administrators": [USER...], "members": [USER...]}`` sets a group up (no update);
* ``POST /_test/member`` ``{"chat_id": -5, "user": USER, "status": "administrator"}``
  changes one member's status; someone who was in the group and is now ``left`` or
  ``kicked`` produces the ``left_chat_member`` service message (``from``: ``by``, default
  the member), which every bot in the group receives (``chat_member`` updates are not
  emulated);
* ``POST /_test/bot_status`` ``{"chat_id": -5, "by": USER, "status": "kicked"}`` removes
  (``left``/``kicked``) or adds back (``member``/``administrator``) the bot and emits the
  ``my_chat_member`` update Telegram sends, with ``from`` = the user who did it. An
  administrator bot may be given ``"can_delete_messages": false``.

deleteMessage follows Telegram's rights: the bot deletes its own messages anywhere, and
other people's in a private chat, or in a group where it is an administrator with
``can_delete_messages``; otherwise "Bad Request: message can't be deleted".

Statuses are the Bot API's: ``creator``, ``administrator``, ``member``, ``left``,
``kicked``. A user who writes in a group becomes a ``member`` unless a status was set.
"""

from __future__ import annotations

import time

from aiohttp import web

from devtools.botapi_emulator.params import Params, method
from devtools.botapi_emulator.state import (
    JSON,
    WORLD,
    ApiError,
    Chat,
    World,
    bad_request,
)

IN_CHAT = frozenset({"creator", "administrator", "member"})
STATUSES = IN_CHAT | {"left", "kicked"}
BOT_STATUSES = frozenset({"administrator", "member", "left", "kicked"})

member_routes = web.RouteTableDef()

_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
}


def member_json(user: JSON, status: str, *, can_delete: bool = True) -> JSON:
    """A ChatMember object (Owner, Administrator, Member, Left or Banned) for `user`."""
    member: JSON = {"status": status, "user": dict(user)}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(_ADMIN_RIGHTS, can_delete_messages=can_delete)
    elif status == "kicked":
        member["until_date"] = 0  # banned forever
    return member


def status_of(world: World, chat: Chat, user_id: int) -> str:
    if user_id == world.bot_user()["id"]:
        return chat.bot_status if not chat.is_private else "member"
    if chat.is_private:
        return "member" if user_id == chat.id else "left"
    return chat.statuses.get(user_id, "left")


def joined_by_writing(chat: Chat, user_id: int) -> None:
    """A user who writes in a group is (at least) a member of it."""
    if not chat.is_private and chat.statuses.get(user_id, "left") == "left":
        chat.statuses[user_id] = "member"


def bot_receives(chat: Chat) -> bool:
    return chat.is_private or chat.bot_status in IN_CHAT


def bot_may_delete(world: World, chat: Chat, message: JSON) -> bool:
    """deleteMessage's rights: own messages, a private chat, or an admin with the right."""
    if world.is_from_bot(message) or chat.is_private:
        return True
    return chat.bot_status == "administrator" and chat.bot_can_delete


def check_bot_access(world: World, chat_id: object) -> None:
    """Raise Telegram's 403 when the bot is no longer in the group `chat_id`."""
    try:
        chat = world.chats.get(int(str(chat_id)))
    except ValueError:
        return
    if chat is None or chat.is_private or chat.bot_status in IN_CHAT:
        return
    kind = chat.info["type"]
    if chat.bot_status == "kicked":
        raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
    raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")


# -- Bot API methods ----------------------------------------------------------------------


@method("getChatMember")
async def get_chat_member(world: World, params: Params) -> object:
    chat = world.chat(params.required("chat_id"))
    user_id = params.number("user_id")
    if user_id is None:
        raise bad_request("user_id is required")
    if user_id == world.bot_user()["id"]:
        user = world.bot_user()
    elif user_id in world.users:
        user = world.users[user_id]
    else:
        raise bad_request("user not found")
    return member_json(user, status_of(world, chat, user_id), can_delete=chat.bot_can_delete)


@method("getChatAdministrators")
async def get_chat_administrators(world: World, params: Params) -> object:
    chat = world.chat(params.required("chat_id"))
    if chat.is_private:
        raise bad_request("there are no administrators in the private chat")
    found = [
        member_json(world.users[user_id], status)
        for user_id, status in chat.statuses.items()
        if status in ("creator", "administrator") and user_id in world.users
    ]
    if chat.bot_status == "administrator":  # "except other bots": the bot itself is listed
        found.append(
            member_json(world.bot_user(), "administrator", can_delete=chat.bot_can_delete)
        )
    return found


@method("leaveChat")
async def leave_chat(world: World, params: Params) -> object:
    chat = world.chat(params.required("chat_id"))
    if chat.is_private:
        raise bad_request("chat member status can't be changed in private chats")
    await set_bot_status(world, chat, "left", world.bot_user())
    return True


async def set_bot_status(world: World, chat: Chat, status: str, by: JSON) -> JSON | None:
    """Change the bot's status in a group; emit `my_chat_member` when it changed."""
    old = chat.bot_status
    if old == status:
        return None
    chat.bot_status = status
    bot = world.bot_user()
    payload = {
        "chat": dict(chat.info),
        "from": dict(by),
        "date": int(time.time()),
        "old_chat_member": member_json(bot, old),
        "new_chat_member": member_json(bot, status),
    }
    return await world.push_update("my_chat_member", payload)


# -- control API --------------------------------------------------------------------------


def _error(exc: ApiError) -> web.Response:
    return web.json_response(exc.payload(), status=exc.code)


def _group(world: World, chat_id: object) -> Chat:
    chat = world.chat(chat_id)
    if chat.is_private:
        raise bad_request("not a group chat")
    return chat


@member_routes.post("/_test/group")
async def set_up_group(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    spec = await request.json()
    try:
        info = spec["chat"]
        privacy = info.get("privacy", True) is not False
        title = str(info.get("title") or "Group")
        chat = world.group_chat(int(info["id"]), title, privacy=privacy)
        roles = [("creator", [spec["creator"]] if spec.get("creator") else [])]
        roles += [("administrator", spec.get("administrators") or [])]
        roles += [("member", spec.get("members") or [])]
        for status, users in roles:
            for user_spec in users:
                chat.statuses[world.user(user_spec)["id"]] = status
        return web.json_response({"ok": True, "chat": chat.info})
    except ApiError as exc:
        return _error(exc)


@member_routes.post("/_test/member")
async def set_member(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    spec = await request.json()
    try:
        chat = _group(world, spec["chat_id"])
        status = str(spec["status"])
        if status not in STATUSES:
            raise bad_request(f"unknown status {status!r}")
        user = world.user(spec["user"])
        was = chat.statuses.get(user["id"], "left")
        chat.statuses[user["id"]] = status
        if was in IN_CHAT and status not in IN_CHAT and bot_receives(chat):
            by = world.user(spec["by"]) if spec.get("by") else user
            left = world.new_message(chat, by, {"left_chat_member": dict(user)})
            await world.push_update("message", left)
        return web.json_response({"ok": True, "member": member_json(user, status)})
    except ApiError as exc:
        return _error(exc)


@member_routes.post("/_test/bot_status")
async def set_bot(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    spec = await request.json()
    try:
        chat = _group(world, spec["chat_id"])
        status = str(spec["status"])
        if status not in BOT_STATUSES:
            raise bad_request(f"the bot cannot be {status!r}")
        by = world.user(spec["by"])
        chat.bot_can_delete = spec.get("can_delete_messages", True) is not False
        update = await set_bot_status(world, chat, status, by)
        return web.json_response({"ok": True, "update": update})
    except ApiError as exc:
        return _error(exc)
