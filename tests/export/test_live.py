"""/export list and /export starterpack against the real local AT Protocol network."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from typing import Any

import httpx
import pytest

from chatbot.accounts import bluesky as bluesky_account
from chatbot.matching.model import Match
from tests.accounts.conftest import Bot
from tests.accounts.test_bluesky import _app_password, _jwt
from tests.conversation.harness import texts
from tests.export.matches import bsky
from tests.servers.atproto import AtprotoNetwork

pytestmark = pytest.mark.parametrize("bot", ["atproto_settings"], indirect=True)


def fake_did() -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    return "did:plc:" + "".join(secrets.choice(alphabet) for _ in range(24))


def records(pds: str, did: str, collection: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"repo": did, "collection": collection, "limit": 100}
        if cursor:
            params["cursor"] = cursor
        data = httpx.get(f"{pds}/xrpc/com.atproto.repo.listRecords", params=params, timeout=30)
        data.raise_for_status()
        page = data.json()
        found += page["records"]
        cursor = page.get("cursor")
        if not cursor or not page["records"]:
            return found


def members(pds: str, did: str, list_uri: str) -> list[str]:
    items = records(pds, did, "app.bsky.graph.listitem")
    return [item["value"]["subject"] for item in items if item["value"]["list"] == list_uri]


def appview_list(net: AtprotoNetwork, uri: str) -> dict[str, Any]:
    net.flush()
    response = httpx.get(f"{net.appview_url}/xrpc/app.bsky.graph.getList",
                         params={"list": uri, "limit": 100}, timeout=30)  # fmt: skip
    response.raise_for_status()
    return dict(response.json())


async def test_list_and_starter_pack_are_created_on_the_connected_account(
    bot: Bot, atproto_network: AtprotoNetwork
) -> None:
    net = atproto_network
    owner = net.create_account("e" + secrets.token_hex(5), display_name="Exporter")
    password = await asyncio.to_thread(_app_password, net, owner.handle)
    user = await bot.services.users.get_or_create("telegram", "alice")
    await bluesky_account.connect(bot.services, user.id, owner.handle, password)

    real = [net.create_account("r" + secrets.token_hex(5), display_name=f"Real {n}")
            for n in range(3)]  # fmt: skip
    await asyncio.to_thread(net.wait_for_profiles, [a.did for a in real])
    best = [bsky(n, "verified", confirmed=True, did=a.did) for n, a in enumerate(real)]
    verified = [bsky(10 + n, "verified", did=fake_did()) for n in range(100)]
    likely = [bsky(200 + n, "likely", confirmed=True, did=fake_did()) for n in range(107)]
    ignored = [bsky(400, "possible", did=fake_did()), bsky(401, "likely", did=fake_did()),
               bsky(402, "verified", direction="follower", did=fake_did())]  # fmt: skip
    found: list[Match] = likely + ignored + verified + best  # the order must not matter
    bot.services.match_cache[user.id] = (time.monotonic(), found)
    chat = bot.chat()

    # a list of every eligible account: 210 listitems, so two applyWrites calls
    said = texts(await chat.say("/export list Friends from X"))
    assert "“Friends from X” with 210 accounts" in said
    url = re.search(rf"https://bsky\.app/profile/{re.escape(owner.handle)}/lists/(\w+)", said)
    assert url, said
    lists = await asyncio.to_thread(records, net.pds_url, owner.did, "app.bsky.graph.list")
    assert len(lists) == 1
    list_uri = lists[0]["uri"]
    assert list_uri.endswith("/" + url.group(1))
    assert lists[0]["value"]["name"] == "Friends from X"
    assert lists[0]["value"]["purpose"] == "app.bsky.graph.defs#curatelist"
    in_list = await asyncio.to_thread(members, net.pds_url, owner.did, list_uri)
    eligible = {str(m.did) for m in best + verified + likely}
    assert len(in_list) == 210 and set(in_list) == eligible
    view = await asyncio.to_thread(appview_list, net, list_uri)
    assert view["list"]["name"] == "Friends from X"
    assert {a.did for a in real} <= {item["subject"]["did"] for item in view["items"]}

    # a starter pack: the 150 best (3 confirmed, 100 verified, 47 likely), 60 left out
    said = texts(await chat.say("/export starterpack"))
    assert "“My X follows on Bluesky” with 150 accounts" in said
    assert "60 eligible accounts were left out" in said
    url = re.search(rf"https://bsky\.app/starter-pack/{re.escape(owner.handle)}/(\w+)", said)
    assert url, said
    packs = await asyncio.to_thread(records, net.pds_url, owner.did, "app.bsky.graph.starterpack")
    assert len(packs) == 1 and packs[0]["uri"].endswith("/" + url.group(1))
    pack = packs[0]["value"]
    assert pack["name"] == "My X follows on Bluesky"
    lists = await asyncio.to_thread(records, net.pds_url, owner.did, "app.bsky.graph.list")
    (ref,) = [r for r in lists if r["uri"] == pack["list"]]
    assert ref["value"]["purpose"] == "app.bsky.graph.defs#referencelist"
    in_pack = await asyncio.to_thread(members, net.pds_url, owner.did, pack["list"])
    expected = {str(m.did) for m in best + verified + likely[:47]}
    assert len(in_pack) == 150 and set(in_pack) == expected


async def test_expired_session_asks_to_connect_again(
    bot: Bot, atproto_network: AtprotoNetwork
) -> None:
    net = atproto_network
    owner = net.create_account("x" + secrets.token_hex(5))
    password = await asyncio.to_thread(_app_password, net, owner.handle)
    user = await bot.services.users.get_or_create("telegram", "alice")
    await bluesky_account.connect(bot.services, user.id, owner.handle, password)
    # a session that cannot be refreshed any more (as in tests/accounts)
    expired = _jwt({"exp": int(time.time()) - 60, "scope": "com.atproto.appPass"})
    dead = ":::".join([owner.handle, owner.did, expired, _jwt({}), net.pds_url])
    await bot.services.accounts.update_secret(user.id, "bluesky", dead)
    bot.services.match_cache[user.id] = (time.monotonic(), [bsky(1, did=fake_did())])
    said = texts(await bot.chat().say("/export list"))
    assert "connect again with /connect bluesky" in said
