"""`/connect bluesky` against the real local AT Protocol network, through the dispatcher."""

from __future__ import annotations

import base64
import json
import logging
import time

import httpx
import pytest
from sqlalchemy import select

from chatbot.accounts import AccountExpired
from chatbot.accounts.bluesky import bluesky_client
from chatbot.storage.schema import connected_accounts
from tests.accounts.conftest import Bot
from tests.conversation.harness import texts
from tests.servers.atproto import PASSWORD, AtprotoNetwork

pytestmark = pytest.mark.parametrize("bot", ["atproto_settings"], indirect=True)


def _app_password(net: AtprotoNetwork, handle: str) -> str:
    account = net.accounts[handle]
    response = httpx.post(
        net.pds_url + "/xrpc/com.atproto.server.createAppPassword",
        headers={"Authorization": f"Bearer {account.access_jwt}"},
        json={"name": "migration bot"},
        timeout=30,
    )
    response.raise_for_status()
    return str(response.json()["password"])


async def _stored(bot: Bot, user_id: int) -> bytes | None:
    t = connected_accounts.c
    query = select(t.secret).where(t.user_id == user_id, t.network == "bluesky")
    async with bot.services.db.begin() as conn:
        return (await conn.execute(query)).scalar()


async def test_connect_with_an_app_password_keeps_only_the_encrypted_session(
    bot: Bot, atproto_network: AtprotoNetwork, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    account = atproto_network.create_account("connecter", display_name="Connecter")
    app_password = _app_password(atproto_network, account.handle)
    chat = bot.chat()

    assert "handle" in texts(await chat.say("/connect bluesky"))
    asked = texts(await chat.say("@" + account.handle))
    assert "App passwords" in asked and account.handle in asked
    done = texts(await chat.say(app_password))
    assert (chat.chat, "3") in bot.platform.deleted  # the message with the password
    assert "I deleted your message with the password" in done
    assert f"Connected to Bluesky as {account.handle}" in done

    user = await bot.services.users.get_or_create("telegram", "alice")
    client = await bluesky_client(bot.services, user.id)
    assert client is not None
    try:
        atproto_network.flush()
        profile = await client.app.bsky.actor.get_profile({"actor": account.did})
        assert profile.handle == account.handle
        session = client.export_session_string()
        access, refresh = session.split(":::")[2:4]
    finally:
        await client.request.close()

    blob = await _stored(bot, user.id)
    assert blob is not None and bot.services.secrets.decrypt(blob).decode() == session
    # encryption at rest (issue 5 item 8): nothing in clear in the files or the logs
    files, logs = bot.data_files(), caplog.text
    assert account.handle.encode() in files  # the scan does see what is stored
    for secret in (app_password, access, refresh, access.split(".")[1], refresh.split(".")[2]):
        assert secret.encode() not in files
        assert secret not in logs

    assert "disconnected" in texts(await chat.say("/disconnect bluesky"))
    assert await bluesky_client(bot.services, user.id) is None
    async with httpx.AsyncClient(timeout=30) as http:
        refreshed = await http.post(
            atproto_network.pds_url + "/xrpc/com.atproto.server.refreshSession",
            headers={"Authorization": f"Bearer {refresh}"},
        )
    assert refreshed.status_code in (400, 401)  # the session was ended on the PDS


async def test_refreshed_sessions_are_persisted_and_dead_ones_expire(
    bot: Bot, atproto_network: AtprotoNetwork
) -> None:
    account = atproto_network.create_account("refresher")
    app_password = _app_password(atproto_network, account.handle)
    chat = bot.chat("bob")
    await chat.say(f"/connect bluesky {account.handle} {app_password}")  # one message
    assert (chat.chat, "1") in bot.platform.deleted
    user = await bot.services.users.get_or_create("telegram", "bob")
    before = await _stored(bot, user.id)

    client = await bluesky_client(bot.services, user.id)
    assert client is not None
    try:
        await client._refresh_and_set_session()  # what atproto does when the token is due
        refreshed = client.export_session_string()
    finally:
        await client.request.close()
    after = await _stored(bot, user.id)
    assert after != before
    assert after is not None and bot.services.secrets.decrypt(after).decode() == refreshed

    # a session that cannot be refreshed any more: the user must /connect again
    expired = _jwt({"exp": int(time.time()) - 60, "scope": "com.atproto.appPass"})
    dead = ":::".join([account.handle, account.did, expired, _jwt({}), atproto_network.pds_url])
    await bot.services.accounts.update_secret(user.id, "bluesky", dead)
    with pytest.raises(AccountExpired):
        await bluesky_client(bot.services, user.id)
    assert await bluesky_client(bot.services, user.id + 1000) is None  # not connected


async def test_wrong_password_in_french_stores_nothing(
    bot: Bot, atproto_network: AtprotoNetwork
) -> None:
    account = atproto_network.create_account("wrongpass")
    chat = bot.chat("carole", language_hint="fr")
    await chat.say("/connect bluesky")
    answer = texts(await chat.say(f"{account.handle} abcd-efgh-ijkl-mnop"))
    assert "J’ai supprimé de cette conversation votre message" in answer
    assert "a refusé cet identifiant et ce mot de passe" in answer
    user = await bot.services.users.get_or_create("telegram", "carole")
    assert await _stored(bot, user.id) is None
    assert "Aucun compte n’est connecté" in texts(await chat.say("/connect"))


async def test_the_real_password_is_refused_and_unknown_handles_are_explained(
    bot: Bot, atproto_network: AtprotoNetwork
) -> None:
    account = atproto_network.create_account("mainpass")
    chat = bot.chat("dan")
    answer = texts(await chat.say(f"/connect bluesky {account.handle} {PASSWORD}"))
    assert "real password" in answer
    user = await bot.services.users.get_or_create("telegram", "dan")
    assert await _stored(bot, user.id) is None
    answer = texts(await chat.say("/connect bluesky nobody-here.test abcd-efgh-ijkl-mnop"))
    assert "could not find this account" in answer
    await chat.say("/connect bluesky")
    answer = texts(await chat.say("abcd-efgh-ijkl-mnop"))  # a password instead of the handle
    assert "looks like a password" in answer
    assert (chat.chat, "4") in bot.platform.deleted


def _jwt(payload: dict[str, object]) -> str:
    def part(data: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'ES256K', 'typ': 'at+jwt'})}.{part(payload)}.c2lnbmF0dXJl"
