"""Bot API methods that send, edit and delete messages."""

from __future__ import annotations

import struct
import time
from pathlib import Path

from devtools.botapi_emulator.members import bot_may_delete
from devtools.botapi_emulator.params import Params, markup, method
from devtools.botapi_emulator.state import (
    CLOUD_UPLOAD_LIMIT,
    JSON,
    MAX_CAPTION,
    MAX_TEXT,
    ApiError,
    Chat,
    StoredFile,
    World,
    bad_request,
)

# -- sending ----------------------------------------------------------------------------


def _flood_send(chat: Chat) -> None:
    if chat.flood.fail_sends > 0:
        chat.flood.fail_sends -= 1
        retry = chat.flood.retry_after
        raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)


async def _store_bot_message(world: World, chat: Chat, body: JSON) -> JSON:
    message = world.new_message(chat, world.bot_user(), body)
    await world.touch()
    return message


def _text_body(params: Params, field: str, limit: int) -> JSON:
    text = params.text(field) or ""
    if field == "text" and not text.strip():
        raise bad_request("message text is empty")
    if len(text) > limit:
        raise bad_request(
            "message is too long" if field == "text" else "message caption is too long"
        )
    body: JSON = {field: text} if text else {}
    reply_markup = markup(params)
    if reply_markup is not None:
        body["reply_markup"] = reply_markup
    return body


@method("sendMessage")
async def send_message(world: World, params: Params) -> object:
    chat = world.chat(params.required("chat_id"))
    body = _text_body(params, "text", MAX_TEXT)
    _flood_send(chat)
    return await _store_bot_message(world, chat, body)


def _input_file(world: World, params: Params, field: str, kind: str) -> StoredFile:
    upload = params.uploads.get(field)
    if upload is not None:
        name = params.text("filename") or upload.filename
        stored = world.add_file(upload.path, kind, name, upload.content_type)
        if not world.local and stored.size > CLOUD_UPLOAD_LIMIT:
            raise ApiError(413, "Request Entity Too Large")
        return stored
    value = params.text(field) or params.text("attach")
    if value and value.startswith("file://") and world.local:
        path = Path(value.removeprefix("file://"))
        if not path.is_file():
            raise bad_request("file not found")
        copy = world.new_file_path()
        copy.write_bytes(path.read_bytes())
        return world.add_file(copy, kind, path.name, None)
    if value and value in world.files:
        return world.files[value]
    raise bad_request(f"there is no {field} in the request")


def _png_size(path: Path) -> tuple[int, int]:
    with path.open("rb") as handle:
        head = handle.read(24)
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        width, height = struct.unpack(">II", head[16:24])
        return int(width), int(height)
    return 1, 1


@method("sendDocument")
async def send_document(world: World, params: Params) -> object:
    chat = world.chat(params.required("chat_id"))
    body = _text_body(params, "caption", MAX_CAPTION)
    stored = _input_file(world, params, "document", "documents")
    _flood_send(chat)
    body["document"] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_name": stored.name or "document",
        "mime_type": stored.mime_type or "application/octet-stream",
        "file_size": stored.size,
    }
    return await _store_bot_message(world, chat, body)


@method("sendPhoto")
async def send_photo(world: World, params: Params) -> object:
    chat = world.chat(params.required("chat_id"))
    body = _text_body(params, "caption", MAX_CAPTION)
    stored = _input_file(world, params, "photo", "photos")
    if stored.size > 10 * 1000 * 1000:
        raise bad_request("PHOTO_SAVE_FILE_INVALID")
    _flood_send(chat)
    width, height = _png_size(stored.path)
    size = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
    body["photo"] = [{**size, "width": width, "height": height, "file_size": stored.size}]
    return await _store_bot_message(world, chat, body)


@method("sendChatAction")
async def send_chat_action(world: World, params: Params) -> object:
    world.chat(params.required("chat_id"))
    return True


# -- editing and deleting ---------------------------------------------------------------


@method("editMessageText")
async def edit_message_text(world: World, params: Params) -> object:
    chat = world.chat(params.required("chat_id"))
    message = world.message(chat, params.required("message_id"), "edit")
    if not world.is_from_bot(message) or "text" not in message:
        raise bad_request("message can't be edited")
    body = _text_body(params, "text", MAX_TEXT)
    body.setdefault("reply_markup", None)
    if body["text"] == message["text"] and body["reply_markup"] == message.get("reply_markup"):
        raise bad_request(
            "message is not modified: specified new message content and reply markup are "
            "exactly the same as a current content and reply markup of the message"
        )
    number = message["message_id"]
    since = time.monotonic() - chat.changed_at.get(number, 0.0)
    if since < chat.flood.edit_min_interval_s:
        retry = chat.flood.retry_after
        raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
    chat.history.setdefault(number, []).append(dict(message))
    message.update(body, edit_date=int(time.time()))
    if message["reply_markup"] is None:
        del message["reply_markup"]
    chat.changed_at[number] = time.monotonic()
    await world.touch()
    return message


@method("deleteMessage")
async def delete_message(world: World, params: Params) -> object:
    chat = world.chat(params.required("chat_id"))
    message = world.message(chat, params.required("message_id"), "delete")
    if not bot_may_delete(world, chat, message):
        raise bad_request("message can't be deleted")
    chat.deleted.add(message["message_id"])
    await world.touch()
    return True
