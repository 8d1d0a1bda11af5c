"""`/connect mastodon` against mastodon-mock: out-of-band OAuth with PKCE, via the dispatcher."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from chatbot.accounts.mastodon import OOB, SCOPES, mastodon_client
from chatbot.storage.schema import connected_accounts, mastodon_apps
from tests.accounts.conftest import Bot
from tests.conversation.harness import texts
from tests.servers.mastodon import MastodonServer

pytestmark = pytest.mark.parametrize("bot", ["mastodon_settings"], indirect=True)


def _authorize(server: MastodonServer, link: str) -> str:
    """What the user does in the browser: log in as @me, allow, read the code."""
    query = parse_qs(urlsplit(link).query)
    assert query["redirect_uri"] == [OOB]
    assert query["code_challenge_method"] == ["S256"]  # the mock announces PKCE
    response = httpx.post(
        server.url + "/oauth/authorize",
        data={
            "username": "me",
            "client_id": query["client_id"][0],
            "redirect_uri": OOB,
            "scope": " ".join(SCOPES),
            "code_challenge": query["code_challenge"][0],
            "code_challenge_method": "S256",
        },
        timeout=30,
    )
    response.raise_for_status()
    return response.text.split("Authorization code: ")[1].split("<")[0]


def _link(answer: str) -> str:
    match = re.search(r"https?://\S+/oauth/authorize\?\S+", answer)
    assert match, answer
    return match.group()


async def test_oob_flow_stores_the_token_encrypted(
    bot: Bot, mastodon_server: MastodonServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    chat = bot.chat()
    answer = texts(await chat.say(f"/connect mastodon {mastodon_server.url}"))
    code = _authorize(mastodon_server, _link(answer))
    assert "did not work" in texts(await chat.say("not-the-code"))  # may be pasted again
    done = texts(await chat.say(code))
    assert f"Connected to Mastodon as me@{mastodon_server.domain}" in done

    user = await bot.services.users.get_or_create("telegram", "alice")
    client = await mastodon_client(bot.services, user.id)
    assert client is not None
    me = await asyncio.to_thread(client.account_verify_credentials)
    assert me["acct"] == "me"
    token = str(client.access_token)
    async with bot.services.db.begin() as conn:
        row = (await conn.execute(select(connected_accounts))).one()
        app = (await conn.execute(select(mastodon_apps))).one()
    assert bot.services.secrets.decrypt(row.secret).decode() == token
    client_secret = bot.services.secrets.decrypt(app.client_secret).decode()
    # encryption at rest: neither the token nor the app's secret in clear, files or logs
    files = bot.data_files()
    assert mastodon_server.domain.encode() in files
    for secret in (token, client_secret):
        assert secret.encode() not in files
        assert secret not in caplog.text

    status = texts(await chat.say("/connect"))
    assert f"Mastodon: me@{mastodon_server.domain}" in status
    # the app is registered once per instance
    again = texts(await bot.chat("bob").say(f"/connect mastodon {mastodon_server.url}"))
    assert parse_qs(urlsplit(_link(again)).query)["client_id"] == [app.client_id]

    assert "disconnected" in texts(await chat.say("/disconnect mastodon"))
    assert await mastodon_client(bot.services, user.id) is None
    async with httpx.AsyncClient(timeout=30) as http:
        revoked = await http.get(
            mastodon_server.url + "/api/v1/accounts/verify_credentials",
            headers={"Authorization": f"Bearer {token}"},
        )
    assert revoked.status_code == 401  # the token was revoked on the instance
    assert "No Mastodon account" in texts(await chat.say("/disconnect mastodon"))


async def test_forget_deletes_connected_accounts(
    bot: Bot, mastodon_server: MastodonServer
) -> None:
    chat = bot.chat("erin", language_hint="fr")
    await chat.say("/connect mastodon")
    answer = texts(await chat.say(mastodon_server.url))
    assert "Ouvrez ce lien" in answer
    code = _authorize(mastodon_server, _link(answer))
    assert "Connecté à Mastodon" in texts(await chat.say(code))
    user = await bot.services.users.get_or_create("telegram", "erin")
    assert await bot.services.accounts.of_user(user.id)
    await chat.say("/forget")
    await chat.press("forget:yes")
    async with bot.services.db.begin() as conn:
        assert (await conn.execute(select(connected_accounts))).first() is None


async def test_unusable_instances_get_a_helpful_message(bot: Bot) -> None:
    chat = bot.chat()
    with _not_mastodon() as url:  # a web server, but not Mastodon
        assert "does not answer like a Mastodon" in texts(
            await chat.say(f"/connect mastodon {url}")
        )
    assert "not a server address" in texts(await chat.say("/connect mastodon not/a server"))
    assert "not answering" in texts(await chat.say("/connect mastodon http://127.0.0.1:9"))
    bot.services.egress.allow = ()  # production: nothing allow-listed, so no plain http
    assert "https://" in texts(await chat.say("/connect mastodon http://127.0.0.1:9"))


async def test_connect_moves_to_a_private_chat_in_groups(bot: Bot) -> None:
    chat = bot.chat(chat="group-1", private=False)
    answer = texts(await chat.say("/connect bluesky"))
    assert "private chat" in answer and "handle" not in answer
    assert not bot.platform.deleted


@contextlib.contextmanager
def _not_mastodon() -> Iterator[str]:
    class NotFound(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b"<html>nothing here</html>")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
