"""Webhooks: setWebhook, deleteWebhook, getWebhookInfo, and the delivery of updates.

As on the real Bot API: while a webhook is set, getUpdates fails with 409; each update
is POSTed as JSON to the URL, with `X-Telegram-Bot-Api-Secret-Token` when a secret was
given, one at a time and in order; an update leaves the queue only on a 2xx answer,
otherwise it is retried after a doubling delay (the error shows in getWebhookInfo);
updates the bot did not ask for (`allowed_updates`) are dropped. The URL must be HTTPS; with
``--allow-http-webhook`` the emulator also accepts http:// on 127.0.0.1 or localhost.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp

from devtools.botapi_emulator.params import Params, method
from devtools.botapi_emulator.state import JSON, ApiError, World, bad_request

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
GET_UPDATES_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
NOT_BY_DEFAULT = ("chat_member", "message_reaction", "message_reaction_count")


@dataclass
class Webhook:
    url: str
    secret: str | None
    allowed_updates: list[str]
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0
    task: asyncio.Task[None] | None = field(default=None, repr=False)


def wanted(update: JSON, allowed: list[str]) -> bool:
    """Whether `allowed_updates` (empty: the Bot API's default set) lets `update` through."""
    if allowed:
        return any(kind in update for kind in allowed)
    return not any(kind in update for kind in NOT_BY_DEFAULT)


def check_polling_allowed(world: World) -> None:
    if world.webhook is not None:
        raise ApiError(409, GET_UPDATES_CONFLICT)


def _check_url(world: World, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    local = parts.hostname in ("127.0.0.1", "localhost")
    if parts.scheme == "http" and local and world.allow_http_webhook:
        return
    raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")


@method("setWebhook")
async def set_webhook(world: World, params: Params) -> object:
    url = params.text("url", "") or ""
    if not url:
        await _remove(world, drop=params.flag("drop_pending_updates"))
        return True
    _check_url(world, url)
    secret = params.text("secret_token")
    if secret is not None and not _SECRET.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    allowed = params.obj("allowed_updates")
    await _remove(world, drop=params.flag("drop_pending_updates"))
    hook = Webhook(
        url=url,
        secret=secret or None,
        allowed_updates=list(allowed) if isinstance(allowed, list) else [],
        max_connections=params.number("max_connections", 40) or 40,
    )
    world.webhook = hook
    hook.task = asyncio.create_task(_deliver(world, hook), name="webhook")
    await world.touch()
    return True


@method("deleteWebhook")
async def delete_webhook(world: World, params: Params) -> object:
    await _remove(world, drop=params.flag("drop_pending_updates"))
    return True


@method("getWebhookInfo")
async def get_webhook_info(world: World, params: Params) -> object:
    hook = world.webhook
    if hook is None:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
    info: JSON = {
        "url": hook.url,
        "has_custom_certificate": False,
        "pending_update_count": len(world.updates),
        "max_connections": hook.max_connections,
        "ip_address": "127.0.0.1",
    }
    if hook.allowed_updates:
        info["allowed_updates"] = hook.allowed_updates
    if hook.last_error_date is not None:
        info["last_error_date"] = hook.last_error_date
        info["last_error_message"] = hook.last_error_message
    return info


async def _remove(world: World, *, drop: bool) -> None:
    hook, world.webhook = world.webhook, None
    if hook is not None and hook.task is not None:
        hook.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await hook.task
    if drop:
        world.updates.clear()
    await world.touch()


async def _deliver(world: World, hook: Webhook) -> None:
    """POST the queued updates one by one, in order, until the webhook is removed."""
    delay = world.webhook_retry_s
    timeout = aiohttp.ClientTimeout(total=60, connect=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while world.webhook is hook and not world.closing:
            world.updates = [u for u in world.updates if wanted(u, hook.allowed_updates)]
            if not world.updates:
                await world.wait_change(world.version, 5.0)
                continue
            if await _post(session, hook, world.updates[0]):
                world.updates.pop(0)
                hook.delivered += 1
                delay = world.webhook_retry_s
                await world.touch()
            else:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10 * world.webhook_retry_s)


async def _post(session: aiohttp.ClientSession, hook: Webhook, update: JSON) -> bool:
    headers = {SECRET_HEADER: hook.secret} if hook.secret else {}
    try:
        async with session.post(hook.url, json=update, headers=headers) as response:
            if 200 <= response.status < 300:
                return True
            error = f"Wrong response from the webhook: {response.status} {response.reason}"
    except (aiohttp.ClientError, TimeoutError) as exc:
        error = f"Connection failed: {type(exc).__name__}"
    hook.last_error_date, hook.last_error_message = int(time.time()), error
    return False
