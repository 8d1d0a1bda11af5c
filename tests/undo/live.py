"""Helpers of the undo tests on the real AT Protocol network: raw writes and reads."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import httpx

from chatbot.accounts import bluesky as bluesky_account
from chatbot.matching.model import Match
from tests.accounts.conftest import Bot
from tests.accounts.test_bluesky import _app_password
from tests.conversation.harness import Chat
from tests.export.test_live import records
from tests.profile.test_live import _record as profile_record
from tests.servers.atproto import Account, AtprotoNetwork

PROFILE = "app.bsky.actor.profile"
FOLLOW = "app.bsky.graph.follow"


def xrpc(net: AtprotoNetwork, account: Account, nsid: str, **body: Any) -> dict[str, Any]:
    """A procedure on the PDS as `account` (what the user does in their own app)."""
    response = httpx.post(f"{net.pds_url}/xrpc/{nsid}", json=body, timeout=30,
                          headers={"Authorization": f"Bearer {account.access_jwt}"})  # fmt: skip
    response.raise_for_status()
    return dict(response.json()) if response.content else {}


def follow_raw(net: AtprotoNetwork, account: Account, subject: str) -> str:
    """A follow the user made themselves; its URI."""
    record = {"$type": FOLLOW, "subject": subject, "createdAt": "2025-01-05T10:00:00.000Z"}
    made = xrpc(net, account, "com.atproto.repo.createRecord", repo=account.did,
                collection=FOLLOW, record=record)  # fmt: skip
    return str(made["uri"])


def profile_with_avatar(net: AtprotoNetwork, account: Account, avatar: bytes) -> dict[str, Any]:
    """The user's own profile before the bot: a name and an avatar (its blob ref)."""
    response = httpx.post(
        f"{net.pds_url}/xrpc/com.atproto.repo.uploadBlob", content=avatar, timeout=30,
        headers={"Authorization": f"Bearer {account.access_jwt}", "Content-Type": "image/png"},
    )  # fmt: skip
    response.raise_for_status()
    blob = response.json()["blob"]
    record = {"$type": PROFILE, "displayName": "Before", "avatar": blob, "pronouns": "they/them"}
    xrpc(net, account, "com.atproto.repo.putRecord", repo=account.did, collection=PROFILE,
         rkey="self", record=record)  # fmt: skip
    return dict(blob)


def count(net: AtprotoNetwork, did: str, collection: str) -> int:
    return len(records(net.pds_url, did, collection))


def mutes(net: AtprotoNetwork, account: Account) -> set[str]:
    response = httpx.get(f"{net.pds_url}/xrpc/app.bsky.graph.getMutes", timeout=30,
                         headers={"Authorization": f"Bearer {account.access_jwt}"})  # fmt: skip
    response.raise_for_status()
    return {m["did"] for m in response.json()["mutes"]}


async def connected_user(
    bot: Bot, net: AtprotoNetwork, name: str = "alice"
) -> tuple[int, Account]:
    """A Bluesky account connected to the bot by the chat user `name`."""
    account = net.create_account("u" + secrets.token_hex(5), display_name="Before")
    password = await asyncio.to_thread(_app_password, net, account.handle)
    user = await bot.services.users.get_or_create("telegram", name)
    await bluesky_account.connect(bot.services, user.id, account.handle, password)
    return user.id, account


def with_matches(bot: Bot, user_id: int, found: list[Match]) -> None:
    """The matches /follow and /export work with (matching itself is tested elsewhere)."""
    bot.services.match_cache[user_id] = (time.monotonic(), found)


def button(chat_replies: list[Any], prefix: str) -> str:
    """The data of the first button starting with `prefix` among `chat_replies`."""
    for reply in chat_replies:
        for row in getattr(reply, "buttons", ()) or ():
            for item in row:
                if item.data.startswith(prefix):
                    return str(item.data)
    raise AssertionError(f"no button {prefix!r} in {chat_replies!r}")


__all__ = ["Chat", "profile_record"]
