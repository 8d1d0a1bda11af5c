"""The test driver's side (`/_test/...`): play users, press buttons, read what the bot sent.

All bodies are JSON except `POST /_test/document`, which is multipart (fields `user`,
`chat` and optional `reply_to_message_id`, `caption`, `download_delay_s`, and the file in
`document`). A user is `{"id": 42, "first_name": "Ann", "language_code": "fr"}`; a chat is
omitted (private chat with the user) or `{"id": -100, "title": "Group", "privacy": true}`.

Group privacy mode, simplified: with `privacy` on (the default), the bot receives a group
message only if it starts with a command that is bare (`/help`, as if the bot were the last
to post) or addressed to it (`/help@bot`), mentions `@bot`, or replies to one of the bot's
messages. With `privacy` off, or when the bot is an administrator of the group, it
receives every group message.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from devtools.botapi_emulator.botapi import new_callback_id
from devtools.botapi_emulator.members import bot_receives, joined_by_writing
from devtools.botapi_emulator.params import Params, read_params
from devtools.botapi_emulator.state import (
    JSON,
    WORLD,
    ApiError,
    Chat,
    FloodRule,
    World,
    bad_request,
    entities,
)

routes = web.RouteTableDef()


def _world(request: web.Request) -> World:
    return request.app[WORLD]


def _error(exc: ApiError) -> web.Response:
    return web.json_response(exc.payload(), status=exc.code)


def _chat_for(world: World, user: JSON, spec: Any) -> Chat:
    if not spec:
        return world.private_chat(user)
    chat_id = int(spec["id"])
    if chat_id > 0:
        if chat_id != user["id"]:
            raise bad_request("a private chat's id is its user's id")
        return world.private_chat(user)
    return world.group_chat(
        chat_id, str(spec.get("title") or "Group"), privacy=spec.get("privacy", True) is not False
    )


def _delivered(world: World, chat: Chat, message: JSON) -> bool:
    if not bot_receives(chat):
        return False  # the bot was removed from the group
    if chat.is_private or not chat.privacy or chat.bot_status == "administrator":
        return True
    text = str(message.get("text") or message.get("caption") or "")
    bot = re.escape(world.bot_username)
    if re.match(rf"/[A-Za-z0-9_]{{1,32}}(@{bot})?(\s|$)", text, re.IGNORECASE):
        return True
    if re.search(rf"(?<![\w@])@{bot}\b", text, re.IGNORECASE):
        return True
    replied = message.get("reply_to_message")
    return bool(replied and world.is_from_bot(replied))


async def _post_user_message(
    world: World, user: JSON, chat: Chat, body: JSON, reply_to: int | None
) -> web.Response:
    if reply_to is not None:
        body["reply_to_message"] = dict(world.message(chat, reply_to, "reply"))
        body["reply_to_message"].pop("reply_to_message", None)
    joined_by_writing(chat, user["id"])
    message = world.new_message(chat, user, body)
    delivered = _delivered(world, chat, message)
    if delivered:
        await world.push_update("message", message)
    else:
        await world.touch()
    return web.json_response({"ok": True, "message": message, "delivered": delivered})


@routes.post("/_test/message")
async def post_message(request: web.Request) -> web.Response:
    world = _world(request)
    spec = await request.json()
    try:
        user = world.user(spec["user"])
        chat = _chat_for(world, user, spec.get("chat"))
        text = str(spec["text"])
        body: JSON = {"text": text}
        if found := entities(text):
            body["entities"] = found
        return await _post_user_message(world, user, chat, body, spec.get("reply_to_message_id"))
    except ApiError as exc:
        return _error(exc)


@routes.post("/_test/document")
async def post_document(request: web.Request) -> web.Response:
    world = _world(request)
    params = Params()
    try:
        params = await read_params(request, world)
        upload = params.uploads.pop("document", None)
        if upload is None:
            raise bad_request("there is no document in the request")
        user = world.user(params.obj("user"))
        chat = _chat_for(world, user, params.obj("chat"))
        stored = world.add_file(upload.path, "documents", upload.filename, upload.content_type)
        stored.download_delay_s = float(params.text("download_delay_s") or 0)
        body: JSON = {
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": stored.name or "document",
                "mime_type": stored.mime_type or "application/octet-stream",
                "file_size": stored.size,
            }
        }
        if caption := params.text("caption"):
            body["caption"] = caption
            if found := entities(caption):
                body["caption_entities"] = found
        reply_to = params.number("reply_to_message_id")
        return await _post_user_message(world, user, chat, body, reply_to)
    except ApiError as exc:
        params.discard()
        return _error(exc)


@routes.post("/_test/callback")
async def press_button(request: web.Request) -> web.Response:
    """Press the inline button with `data` under the bot's message `message_id`."""
    world = _world(request)
    spec = await request.json()
    try:
        user = world.user(spec["user"])
        chat = _chat_for(world, user, spec.get("chat"))
        message = world.message(chat, spec["message_id"], "press")
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        if not any(b.get("callback_data") == spec["data"] for row in rows for b in row):
            raise bad_request("no such button on this message")
        query_id = new_callback_id()
        world.callbacks[query_id] = {"id": query_id, "answered": False}
        await world.push_update(
            "callback_query",
            {
                "id": query_id,
                "from": user,
                "message": message,
                "chat_instance": str(chat.id * 7 + 3),
                "data": spec["data"],
            },
        )
        return web.json_response({"ok": True, "callback_query_id": query_id})
    except ApiError as exc:
        return _error(exc)


@routes.get("/_test/callbacks/{query_id}")
async def callback_state(request: web.Request) -> web.Response:
    query = _world(request).callbacks.get(request.match_info["query_id"])
    if query is None:
        return _error(ApiError(404, "Not Found"))
    return web.json_response({"ok": True, "result": query})


@routes.get("/_test/chats/{chat_id}")
async def read_chat(request: web.Request) -> web.Response:
    """Every message of a chat in its current state, with `edits` and `deleted`.

    With `?after_version=V&timeout=T` the call first waits (up to T seconds) for any
    change in the emulator past version V; `version` in the answer is the one to pass next.
    """
    world = _world(request)
    after = request.query.get("after_version")
    if after is not None:
        await world.wait_change(int(after), float(request.query.get("timeout", "5")))
    try:
        chat = world.chat(request.match_info["chat_id"])
    except ApiError:
        return web.json_response({"ok": True, "version": world.version, "messages": []})
    messages = []
    for number, message in chat.messages.items():
        messages.append(
            {
                **message,
                "from_bot": world.is_from_bot(message),
                "deleted": number in chat.deleted,
                "edits": [old.get("text") for old in chat.history.get(number, [])],
            }
        )
    return web.json_response({"ok": True, "version": world.version, "messages": messages})


@routes.get("/_test/files/{file_id}")
async def read_file(request: web.Request) -> web.StreamResponse:
    stored = _world(request).files.get(request.match_info["file_id"])
    if stored is None:
        return _error(ApiError(404, "Not Found"))
    return web.FileResponse(stored.path)


@routes.post("/_test/flood")
async def set_flood(request: web.Request) -> web.Response:
    """`{"chat_id", "edit_min_interval_s", "retry_after", "fail_sends"}`: see FloodRule."""
    world = _world(request)
    spec = await request.json()
    try:
        chat = world.chat(spec["chat_id"])
    except ApiError as exc:
        return _error(exc)
    chat.flood = FloodRule(
        edit_min_interval_s=float(spec.get("edit_min_interval_s", 0)),
        retry_after=int(spec.get("retry_after", 1)),
        fail_sends=int(spec.get("fail_sends", 0)),
    )
    return web.json_response({"ok": True})


@routes.get("/_test/state")
async def state(request: web.Request) -> web.Response:
    world = _world(request)
    return web.json_response(
        {
            "ok": True,
            "version": world.version,
            "bot": world.bot_user(),
            "local": world.local,
            "pending_updates": len(world.updates),
            "commands": world.commands,
        }
    )
