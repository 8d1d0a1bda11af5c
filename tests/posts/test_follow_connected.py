"""/follow bluesky through the account connected with /connect (no writer stand-in).

Regression: a client restored from a stored session has no profile (`client.me`), and
the writers used to take that for an expired session, so every real /follow failed.
"""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest

from chatbot.accounts import bluesky as bluesky_account
from handlers.follow import runner
from tests.accounts.conftest import Bot
from tests.accounts.test_bluesky import _app_password
from tests.conversation.harness import start_follow, texts
from tests.export.matches import bsky
from tests.export.test_live import records
from tests.servers.atproto import AtprotoNetwork


@pytest.mark.parametrize("bot", ["atproto_settings"], indirect=True)
async def test_follow_bluesky_with_the_connected_account(
    bot: Bot, atproto_network: AtprotoNetwork
) -> None:
    net = atproto_network
    owner = net.create_account("o" + secrets.token_hex(5), display_name="Mover")
    friends = [net.create_account("f" + secrets.token_hex(5)) for _ in range(3)]
    password = await asyncio.to_thread(_app_password, net, owner.handle)
    user = await bot.services.users.get_or_create("telegram", "alice")
    await bluesky_account.connect(bot.services, user.id, owner.handle, password)
    found = [bsky(n, "verified", did=friend.did) for n, friend in enumerate(friends)]
    bot.services.match_cache[user.id] = (time.monotonic(), found)
    jobs = runner(bot.services)
    jobs.options.pace = False
    chat = bot.chat()
    assert "following 3 accounts on Bluesky" in texts(await start_follow(chat, "/follow bluesky"))
    await jobs.idle()
    assert "finished" in texts(await chat.say("/status"))
    follows = await asyncio.to_thread(records, net.pds_url, owner.did, "app.bsky.graph.follow")
    assert sorted(r["value"]["subject"] for r in follows) == sorted(f.did for f in friends)
