"""The bot's side: `/bot<token>/<method>` and `/file/bot<token>/<file_path>`.

Only the methods this project uses are implemented, with the errors Telegram returns for
the mistakes a bot can make (too long texts, bad button data, unchanged edits, files over
the 20 MB download limit of the cloud API, flood control).
"""

from __future__ import annotations

import asyncio
import re
import secrets

from aiohttp import web

from devtools.botapi_emulator import (  # noqa: F401  (registers methods)
    members,
    sending,
    webhook,
)
from devtools.botapi_emulator.params import METHODS, Params, method, ok, read_params
from devtools.botapi_emulator.state import (
    CLOUD_DOWNLOAD_LIMIT,
    WORLD,
    ApiError,
    World,
    bad_request,
)

_TOKEN = re.compile(r"^(\d{1,20}):[A-Za-z0-9_-]{1,100}$")


def check_token(world: World, token: str, pinned: str | None) -> None:
    match = _TOKEN.match(token)
    if match is None or (pinned is not None and token != pinned):
        raise ApiError(401, "Unauthorized")
    world.bot_id = int(match[1])


async def handle_method(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    params = Params()
    try:
        check_token(world, request.match_info["token"], world.pinned_token)
        func = METHODS.get(request.match_info["method"].lower())
        if func is None:
            raise ApiError(404, "Not Found")
        params = await read_params(request, world)
        if "chat_id" in params.values:
            members.check_bot_access(world, params.values["chat_id"])
        return ok(await func(world, params))
    except ApiError as exc:
        params.discard()
        return web.json_response(exc.payload(), status=exc.code)


async def handle_file(request: web.Request) -> web.StreamResponse:
    world = request.app[WORLD]
    try:
        check_token(world, request.match_info["token"], world.pinned_token)
    except ApiError as exc:
        return web.json_response(exc.payload(), status=exc.code)
    stored = world.file_by_cloud_path(request.match_info["path"])
    if stored is None:
        return web.json_response(ApiError(404, "Not Found").payload(), status=404)
    if stored.download_delay_s:
        await asyncio.sleep(stored.download_delay_s)
    return web.FileResponse(stored.path)


# -- startup and commands ---------------------------------------------------------------


@method("getMe")
async def get_me(world: World, params: Params) -> object:
    return {
        **world.bot_user(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


def _commands_key(params: Params) -> str:
    scope = params.obj("scope") or {"type": "default"}
    return f"{scope.get('type', 'default')}:{params.text('language_code', '')}"


@method("setMyCommands")
async def set_my_commands(world: World, params: Params) -> object:
    commands = params.obj("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    world.commands[_commands_key(params)] = commands
    return True


@method("getMyCommands")
async def get_my_commands(world: World, params: Params) -> object:
    return world.commands.get(_commands_key(params), [])


@method("deleteMyCommands")
async def delete_my_commands(world: World, params: Params) -> object:
    world.commands.pop(_commands_key(params), None)
    return True


# -- updates ----------------------------------------------------------------------------


@method("getUpdates")
async def get_updates(world: World, params: Params) -> object:
    webhook.check_polling_allowed(world)
    offset = params.number("offset", 0) or 0
    limit = min(max(params.number("limit", 100) or 100, 1), 100)
    timeout = min(max(params.number("timeout", 0) or 0, 0), 50)
    if offset > 0:
        world.updates = [u for u in world.updates if u["update_id"] >= offset]
    elif offset < 0:
        world.updates = world.updates[offset:]
    if not world.updates and timeout:
        await world.wait_change(world.version, timeout)
    allowed = params.obj("allowed_updates") or []
    return [u for u in world.updates if webhook.wanted(u, allowed)][:limit]


# -- files and buttons ------------------------------------------------------------------


@method("getFile")
async def get_file(world: World, params: Params) -> object:
    stored = world.files.get(params.required("file_id"))
    if stored is None:
        raise bad_request("invalid file_id")
    if not world.local and stored.size > CLOUD_DOWNLOAD_LIMIT:
        raise bad_request("file is too big")
    path = str(stored.path.resolve()) if world.local else world.cloud_file_path(stored)
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": path,
    }


@method("answerCallbackQuery")
async def answer_callback_query(world: World, params: Params) -> object:
    query = world.callbacks.get(params.required("callback_query_id"))
    if query is None or query["answered"]:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = params.text("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query.update(answered=True, text=text, show_alert=params.flag("show_alert"))
    await world.touch()
    return True


def new_callback_id() -> str:
    return str(int.from_bytes(secrets.token_bytes(7), "big"))
