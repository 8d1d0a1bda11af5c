"""The web endpoint of the running bot (`chatbot run`), and what it publishes.

With ``CHATBOT_PUBLIC_URL`` and Telegram in webhook mode, one port serves both the OAuth
documents and the webhook. The documents: the client metadata names the callback and
the key set, which holds public keys only; a rotation keeps the old key published while
a session is bound to it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from chatbot.config import Settings
from chatbot.i18n import translator
from chatbot.oauth.keys import ClientKeyStore
from chatbot.oauth.tokens import TokenSet
from chatbot.services import Services
from chatbot.web import start_web
from tests.e2e.telegram.conftest import Deployment, start_bot, start_emulator
from tests.e2e.telegram.driver import text_of
from tests.servers.process import free_port

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def test_chatbot_run_serves_oauth_and_the_webhook_on_one_port(tmp_path: Path) -> None:
    (tmp_path / "emulator").mkdir()
    (tmp_path / "bot").mkdir()
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram/hook"
    env = {
        "CHATBOT_PUBLIC_URL": "https://bot.example.org",
        "CHATBOT_WEB_PORT": str(port),
        "CHATBOT_TELEGRAM_WEBHOOK_URL": hook,
        "CHATBOT_TELEGRAM_WEBHOOK_PORT": str(free_port()),  # not used: the web port serves it
    }
    extra = ["--allow-http-webhook", "--webhook-retry", "0.2"]
    emulator_process, emulator = start_emulator(tmp_path / "emulator", local=False, extra=extra)
    try:
        bot = start_bot(emulator, tmp_path / "bot", local=False, extra_env=env)
        try:
            metadata = httpx.get(f"http://127.0.0.1:{port}/oauth/client-metadata.json").json()
            assert metadata["client_id"] == "https://bot.example.org/oauth/client-metadata.json"
            user = Deployment(emulator, bot).user()
            user.send("/help")
            assert translator("en")("help.title") in text_of(
                user.wait_text(translator("en")("help.title"), timeout=30)
            )
            refused = httpx.post(hook, json={"update_id": 1}, headers={SECRET_HEADER: "no"})
            assert refused.status_code == 403
        finally:
            bot.stop()
    finally:
        emulator.close()
        emulator_process.stop()


@pytest.fixture
async def web(settings: Settings) -> AsyncIterator[tuple[Services, str]]:
    port = free_port()
    configured = settings.model_copy(
        update={"public_url": "https://bot.example.org/", "web_port": port}
    )
    services = await Services.start(configured, processes=False)
    server = await start_web(configured, services, {})
    try:
        yield services, f"http://127.0.0.1:{port}"
    finally:
        assert server is not None
        await server.stop()
        await services.close()


async def test_client_metadata_and_public_keys(web: tuple[Services, str]) -> None:
    _services, base = web
    async with httpx.AsyncClient(base_url=base) as http:
        metadata = (await http.get("/oauth/client-metadata.json")).json()
        keys = (await http.get("/oauth/jwks.json")).json()["keys"]
        page = await http.get("/oauth/callback", params={"state": "forged", "code": "x"})
        missing = await http.get("/oauth/nothing")
    assert metadata == {
        "client_id": "https://bot.example.org/oauth/client-metadata.json",
        "client_name": "X migration bot",
        "client_uri": "https://bot.example.org",
        "application_type": "web",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "redirect_uris": ["https://bot.example.org/oauth/callback"],
        "scope": metadata["scope"],
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": "ES256",
        "jwks_uri": "https://bot.example.org/oauth/jwks.json",
        "dpop_bound_access_tokens": True,
    }
    assert metadata["scope"].startswith("atproto transition:generic repo:")
    assert len(keys) == 1 and keys[0]["alg"] == "ES256" and keys[0]["crv"] == "P-256"
    assert "d" not in keys[0]  # never the private part
    assert page.status_code == 400 and "Link not valid" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "forged" not in page.text  # the query is never echoed
    assert missing.status_code == 404


async def test_rotation_keeps_keys_in_use_published(web: tuple[Services, str]) -> None:
    services, base = web
    store = ClientKeyStore(services.db, services.secrets)
    old = await store.active()
    user = await services.users.get_or_create("telegram", "alice")
    session = TokenSet("did:plc:a", "https://pds.example", "https://pds.example",
                       "https://pds.example/oauth/token", None, "id", old.kid, {}, "atproto",
                       "access", "refresh", 0.0)  # fmt: skip
    await services.accounts.save(
        user.id,
        "bluesky",
        handle="a.example",
        did="did:plc:a",
        service_url="https://pds.example",
        secret=session.encode(),
    )
    new = await store.rotate()
    assert (await store.active()).kid == new.kid != old.kid
    async with httpx.AsyncClient(base_url=base) as http:
        kids = {k["kid"] for k in (await http.get("/oauth/jwks.json")).json()["keys"]}
    assert kids == {old.kid, new.kid}
    from chatbot.oauth.tokens import keys_in_use

    assert await store.prune(await keys_in_use(services)) == []  # the session needs it
    await services.accounts.remove(user.id, "bluesky")
    assert await store.prune(await keys_in_use(services)) == [old.kid]
    async with httpx.AsyncClient(base_url=base) as http:
        kids = {k["kid"] for k in (await http.get("/oauth/jwks.json")).json()["keys"]}
    assert kids == {new.kid}
