"""/profile against the real local AT Protocol network and mastodon-mock, via the dispatcher."""

from __future__ import annotations

import asyncio
import io
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest
from mastodon import Mastodon

from chatbot.accounts import bluesky as bluesky_account
from chatbot.accounts.mastodon import mastodon_client
from chatbot.migration.profile_write import BLUESKY_BLOB_MAX
from tests.accounts.conftest import Bot
from tests.accounts.test_bluesky import _app_password
from tests.accounts.test_mastodon import _authorize, _link
from tests.conversation.harness import texts
from tests.profile.archive import BIO, NAME, picture, profile_archive
from tests.servers.atproto import Account, AtprotoNetwork
from tests.servers.mastodon import MastodonServer

PROFILE = "app.bsky.actor.profile"


def _record(net: AtprotoNetwork, did: str) -> dict[str, Any]:
    response = httpx.get(
        f"{net.pds_url}/xrpc/com.atproto.repo.getRecord",
        params={"repo": did, "collection": PROFILE, "rkey": "self"},
        timeout=30,
    )
    response.raise_for_status()
    return dict(response.json()["value"])


def _put_raw(net: AtprotoNetwork, account: Account) -> None:
    httpx.post(
        f"{net.pds_url}/xrpc/com.atproto.repo.putRecord",
        headers={"Authorization": f"Bearer {account.access_jwt}"},
        json={"repo": account.did, "collection": PROFILE, "rkey": "self",
              "record": {"$type": PROFILE, "displayName": "Before", "pronouns": "she/her"}},
        timeout=30,
    ).raise_for_status()  # fmt: skip


def _blob(net: AtprotoNetwork, did: str, cid: str) -> httpx.Response:
    return httpx.get(
        f"{net.pds_url}/xrpc/com.atproto.sync.getBlob", params={"did": did, "cid": cid}, timeout=30
    )


@pytest.mark.parametrize("bot", ["atproto_settings"], indirect=True)
async def test_bluesky_profile_record_is_written_and_merged(
    bot: Bot, atproto_network: AtprotoNetwork, tmp_path: Path
) -> None:
    net = atproto_network
    account = net.create_account("p" + secrets.token_hex(5), display_name="Before")
    await asyncio.to_thread(_put_raw, net, account)  # with a field this bot does not set
    password = await asyncio.to_thread(_app_password, net, account.handle)
    user = await bot.services.users.get_or_create("telegram", "alice")
    await bluesky_account.connect(bot.services, user.id, account.handle, password)

    chat = bot.chat()
    avatar, banner = picture(300, 300, fmt="PNG"), picture(1500, 1000, noise=True)
    assert len(banner) > BLUESKY_BLOB_MAX  # must be re-encoded below the blob limit
    await chat.upload(profile_archive(tmp_path / "twitter.zip", avatar=avatar, banner=banner))
    preview = texts(await chat.say("/profile bluesky"))
    assert f"Preview of your Bluesky profile ({account.handle})" in preview
    done = texts(await chat.press("profile:ok:bluesky"))
    assert "profile was updated (name, bio, avatar, banner)" in done

    record = await asyncio.to_thread(_record, net, account.did)
    assert record["displayName"] == NAME and record["description"] == BIO
    assert record["pronouns"] == "she/her"
    assert record["avatar"]["mimeType"] == "image/png" and record["avatar"]["size"] == len(avatar)
    assert record["banner"]["mimeType"] == "image/jpeg"
    assert record["banner"]["size"] <= BLUESKY_BLOB_MAX
    blob = await asyncio.to_thread(_blob, net, account.did, record["avatar"]["ref"]["$link"])
    assert blob.status_code == 200 and blob.content == avatar

    # a second run replaces the pictures and keeps the record valid (swapRecord on its CID)
    await chat.say("/profile bluesky")
    assert "profile was updated" in texts(await chat.press("profile:ok:bluesky"))
    assert (await asyncio.to_thread(_record, net, account.did))["displayName"] == NAME


@pytest.mark.parametrize("bot", ["mastodon_settings"], indirect=True)
async def test_mastodon_update_credentials(
    bot: Bot, mastodon_server: MastodonServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # mastodon-mock 0.6.1 accepts the avatar and header but drops them (its isinstance
    # check uses FastAPI's UploadFile, the form holds Starlette's): what was sent is
    # recorded here, what the server kept is checked for the name and the note.
    sent: list[dict[str, Any]] = []
    real = Mastodon.account_update_credentials

    # no return annotation: Mastodon.py reads it ("Unknown type Any")
    def spy(self: Mastodon, **kwargs: Any):  # type: ignore[no-untyped-def]
        sent.append(
            {k: v.getvalue() if isinstance(v, io.BytesIO) else v for k, v in kwargs.items()}
        )
        return real(self, **kwargs)

    monkeypatch.setattr(Mastodon, "account_update_credentials", spy)
    chat = bot.chat()
    answer = texts(await chat.say(f"/connect mastodon {mastodon_server.url}"))
    code = await asyncio.to_thread(_authorize, mastodon_server, _link(answer))
    assert "Connected to Mastodon" in texts(await chat.say(code))
    user = await bot.services.users.get_or_create("telegram", "alice")
    client = await mastodon_client(bot.services, user.id)
    assert client is not None
    before = await asyncio.to_thread(client.account_verify_credentials)
    try:
        long_name = "Alexandra Maria Cartographer of Lisbon"  # 38 characters: cut to 30
        avatar, banner = picture(120, 120), picture(600, 200, fmt="PNG")
        archive = profile_archive(tmp_path / "x.zip", name=long_name, avatar=avatar, banner=banner)
        await chat.upload(archive)
        preview = texts(await chat.say("/profile mastodon"))
        assert "Too long for Mastodon, shortened (…): name" in preview
        done = texts(await chat.press("profile:ok:mastodon"))
        assert "Mastodon profile was updated (name, bio, avatar, banner)" in done
        me = await asyncio.to_thread(client.account_verify_credentials)
        assert me["display_name"] == long_name[:29].rstrip() + "…"
        assert "Maps &amp; open data" in me["note"] or "Maps & open data" in me["note"]
        (call,) = sent
        assert call["avatar"] == avatar and call["avatar_mime_type"] == "image/jpeg"
        assert call["header"] == banner and call["header_mime_type"] == "image/png"
    finally:  # the mock's @me is shared by other tests
        await asyncio.to_thread(
            client.account_update_credentials,
            display_name=before["display_name"],
            note=before["source"]["note"] if before.get("source") else "",
        )
