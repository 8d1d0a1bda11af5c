"""Request parameters as the Bot API accepts them: query string, JSON, form or multipart.

Form and multipart values are strings; objects (`reply_markup`, `commands`, ...) arrive
JSON-encoded, as python-telegram-bot and most clients send them. Uploaded files are
streamed to the data directory, never held in memory whole.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web

from devtools.botapi_emulator.state import JSON, World, bad_request


@dataclass
class Upload:
    path: Path
    filename: str | None
    content_type: str | None


@dataclass
class Params:
    values: dict[str, Any] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name, default)
        return None if value is None else str(value)

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty" if name == "text" else f"{name} is required")
        return value

    def number(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def obj(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        return value is True or str(value).lower() in ("true", "1")

    def discard(self) -> None:
        """Delete uploaded files that were not kept."""
        for upload in self.uploads.values():
            upload.path.unlink(missing_ok=True)


async def read_params(request: web.Request, world: World) -> Params:
    params = Params(values=dict(request.query))
    if request.method != "POST" or not request.can_read_body:
        return params
    kind = request.content_type
    if kind == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise bad_request("parameters must be a JSON object")
        params.values.update(body)
    elif kind == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is None:
                params.values[part.name] = await part.text()
                continue
            path = world.new_file_path()
            with path.open("wb") as out:
                while chunk := await part.read_chunk(1 << 20):
                    out.write(chunk)
            ctype = part.headers.get("Content-Type")
            params.uploads[part.name] = Upload(path, part.filename, ctype)
    else:
        form = await request.post()
        params.values.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


def ok(result: object) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def markup(params: Params) -> JSON | None:
    """Validate `reply_markup` like Telegram: inline buttons with 1-64 bytes of data."""
    value = params.obj("reply_markup")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = value.get("inline_keyboard")
    if rows is None:
        return value  # other keyboards are stored as given
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise bad_request("button text is empty")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
            if data is None and not button.get("url"):
                raise bad_request('can\'t find field "callback_data" or "url"')
    return value


Method = Callable[[World, Params], Awaitable[object]]
METHODS: dict[str, Method] = {}


def method(name: str) -> Callable[[Method], Method]:
    def register(func: Method) -> Method:
        METHODS[name.lower()] = func
        return func

    return register
