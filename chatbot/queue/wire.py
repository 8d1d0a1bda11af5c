"""Neutral messages and replies as JSON-safe dicts, to cross process boundaries.

Used by the outbox (worker -> front end replies) and by queued messages (front end ->
worker, e.g. an archive to read). Bytes travel base64-encoded; nothing else is lost.
"""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path
from typing import Any

from chatbot.platforms.base import (
    Attachment,
    Button,
    ChatRef,
    Document,
    Image,
    IncomingMessage,
    Reply,
    SentMessage,
    Text,
    UserRef,
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def chat_to(chat: ChatRef) -> dict[str, Any]:
    return dataclasses.asdict(chat)


def chat_from(data: dict[str, Any]) -> ChatRef:
    return ChatRef(**data)


def sent_to(sent: SentMessage) -> dict[str, Any]:
    return {"chat": chat_to(sent.chat), "message_id": sent.message_id}


def sent_from(data: dict[str, Any]) -> SentMessage:
    return SentMessage(chat_from(data["chat"]), str(data["message_id"]))


def reply_to(reply: Reply) -> dict[str, Any]:
    if isinstance(reply, Text):
        buttons = [[dataclasses.asdict(b) for b in row] for row in reply.buttons]
        return {"type": "text", "text": reply.text, "buttons": buttons}
    if isinstance(reply, Image):
        return {"type": "image", "name": reply.name, "data": _b64(reply.data),
                "caption": reply.caption}  # fmt: skip
    return {"type": "document", "name": reply.name, "data": _b64(reply.path.read_bytes()),
            "caption": reply.caption, "mime_type": reply.mime_type}  # fmt: skip


def reply_from(data: dict[str, Any], folder: Path) -> Reply:
    """The reply; a document's bytes are written into `folder` (the caller deletes it)."""
    kind = data["type"]
    if kind == "text":
        rows = tuple(tuple(Button(**b) for b in row) for row in data.get("buttons") or ())
        return Text(data["text"], rows)
    if kind == "image":
        return Image(data["name"], base64.b64decode(data["data"]), caption=data.get("caption"))
    path = folder / Path(str(data["name"])).name
    path.write_bytes(base64.b64decode(data["data"]))
    return Document(path.name, path, caption=data.get("caption"),
                    mime_type=data.get("mime_type") or "application/octet-stream")  # fmt: skip


def message_to(message: IncomingMessage) -> dict[str, Any]:
    data = dataclasses.asdict(message)
    data["args"] = list(message.args)
    return data


def message_from(data: dict[str, Any]) -> IncomingMessage:
    fields = dict(data)
    fields["chat"] = chat_from(fields["chat"])
    fields["user"] = UserRef(**fields["user"])
    fields["args"] = tuple(fields.get("args") or ())
    if fields.get("attachment"):
        fields["attachment"] = Attachment(**fields["attachment"])
    return IncomingMessage(**fields)
