"""An OAuth session does the work of an app-password session, refreshes, and is revoked.

The issue's "Done when": a real dev-network account connected through OAuth follows
matches, gets a list and an imported post, survives a refresh (before expiry and on
``invalid_token``), and `/forget` revokes it at the authorization server.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import time
from pathlib import Path

import pytest

from devtools.archivegen import ArchiveSpec, generate
from handlers.follow import runner
from tests.accounts.conftest import Bot
from tests.conversation.harness import start_follow, texts
from tests.export.matches import bsky
from tests.export.test_live import records
from tests.oauth.live import assert_revoked, connect, stored_tokens
from tests.posts.test_import_live import post_records
from tests.servers.oauth_net import OAuthNetwork


async def test_follow_list_import_refresh_and_forget(
    oauth_bot: Bot, oauth_network: OAuthNetwork, tmp_path: Path
) -> None:
    net = oauth_network.net
    services = oauth_bot.services
    owner = net.create_account("m" + secrets.token_hex(4), display_name="Mover")
    friends = [net.create_account("f" + secrets.token_hex(4)) for _ in range(3)]
    chat = oauth_bot.chat()
    said = await connect(oauth_bot, chat, oauth_network, owner)
    assert f"Connected to Bluesky as {owner.handle}" in said
    user = await services.users.get_or_create("telegram", "alice")
    first = await stored_tokens(oauth_bot, user.id)
    assert first.did == owner.did and first.scope.split()[0] == "atproto"
    # tokens are encrypted at rest: neither token is anywhere in the data files
    raw = oauth_bot.data_files()
    assert first.access_token.encode() not in raw and first.refresh_token.encode() not in raw

    # follows, through the job runner and the OAuth session
    found = [bsky(n, "verified", did=friend.did) for n, friend in enumerate(friends)]
    services.match_cache[user.id] = (time.monotonic(), found)
    jobs = runner(services)
    jobs.options.pace = False
    assert "following 3 accounts on Bluesky" in texts(await start_follow(chat, "/follow bluesky"))
    await jobs.idle()
    assert "finished" in texts(await chat.say("/status"))
    follows = await asyncio.to_thread(records, net.pds_url, owner.did, "app.bsky.graph.follow")
    assert sorted(r["value"]["subject"] for r in follows) == sorted(f.did for f in friends)

    # a list on the account
    said = texts(await chat.say("/export list Friends from X"))
    assert "“Friends from X” with 3 accounts" in said, said
    lists = await asyncio.to_thread(records, net.pds_url, owner.did, "app.bsky.graph.list")
    assert [item["value"]["name"] for item in lists] == ["Friends from X"]

    # the access token is due: the next job refreshes it first (and stores the new one)
    await services.accounts.update_secret(
        user.id, "bluesky", dataclasses.replace(first, expires_at=time.time()).encode()
    )
    archive = generate(ArchiveSpec(era="H", tweets=12, seed=3), tmp_path / "x.zip").path
    assert "send your X archive" in texts(await chat.say("/import posts"))
    said = texts(await chat.upload(archive))
    assert "Ready to import:" in said, said
    said = texts(await chat.say("/import posts"))
    assert f"as {owner.handle}?" in said, said
    assert "Started:" in texts(await chat.press("posts:go"))
    await jobs.idle()
    assert "finished" in texts(await chat.say("/status"))
    posts = await asyncio.to_thread(post_records, net.pds_url, owner.did)
    assert posts, "the posts were imported"
    second = await stored_tokens(oauth_bot, user.id)
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token and not second.due()

    # the PDS no longer takes an access token: refreshed on invalid_token, then retried
    await services.accounts.update_secret(
        user.id,
        "bluesky",
        dataclasses.replace(second, access_token="x" + second.access_token[1:]).encode(),
    )
    said = texts(await chat.say("/export list Second list"))
    assert "“Second list” with 3 accounts" in said, said
    third = await stored_tokens(oauth_bot, user.id)
    assert third.refresh_token != second.refresh_token

    # /forget revokes the session at the authorization server
    await chat.say("/forget")
    assert "deleted" in texts(await chat.press("forget:yes")).lower()
    assert await services.accounts.get(user.id, "bluesky") is None
    await assert_revoked(services, third, owner.handle)


async def test_granular_scopes_are_enough_for_the_writers(
    oauth_bot: Bot, oauth_network: OAuthNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where a server lists granular scopes the bot asks only for its collections and
    blobs (the dev PDS supports them without listing them): the writers still work."""
    from chatbot.oauth import flow, scopes

    monkeypatch.setattr(flow.scopes, "choose", lambda _supported: scopes.GRANULAR)
    net = oauth_network.net
    services = oauth_bot.services
    owner = net.create_account("g" + secrets.token_hex(4))
    friend = net.create_account("f" + secrets.token_hex(4))
    chat = oauth_bot.chat()
    said = await connect(oauth_bot, chat, oauth_network, owner)
    assert f"Connected to Bluesky as {owner.handle}" in said
    user = await services.users.get_or_create("telegram", "alice")
    tokens = await stored_tokens(oauth_bot, user.id)
    assert (
        "transition:generic" not in tokens.scope and "repo:app.bsky.graph.follow" in tokens.scope
    )
    services.match_cache[user.id] = (time.monotonic(), [bsky(1, "verified", did=friend.did)])
    jobs = runner(services)
    jobs.options.pace = False
    await start_follow(chat, "/follow bluesky")
    await jobs.idle()
    follows = await asyncio.to_thread(records, net.pds_url, owner.did, "app.bsky.graph.follow")
    assert [r["value"]["subject"] for r in follows] == [friend.did]
    assert "“Granular” with 1 account" in texts(await chat.say("/export list Granular"))
