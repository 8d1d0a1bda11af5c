"""Matrix login that survives restarts: one device, one crypto store, no login storm.

The first start logs in with the password (or uses CHATBOT_MATRIX_TOKEN) and writes
``session.json`` (user id, device id, access token; mode 0600) next to the crypto store
in the store directory. Later starts restore that session; if the token was revoked,
they log in again *with the same device id*, so the crypto store stays valid.
The access token is never logged.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse
from nio.crypto import ENCRYPTION_ENABLED

from chatbot.config import ConfigError, Settings
from chatbot.private_files import private_dir

log = logging.getLogger(__name__)

DEVICE_NAME = "x-migration-chatbot"
SESSION_FILE = "session.json"


@dataclass(frozen=True)
class Session:
    homeserver: str
    user_id: str
    device_id: str
    access_token: str


def store_dir(settings: Settings) -> Path:
    """Where the session and the crypto store live (created with mode 0700)."""
    return private_dir(settings.matrix_store_path or settings.data_dir / "matrix")


def make_client(settings: Settings, store: Path) -> AsyncClient:
    """An AsyncClient with a persistent store (and E2EE when enabled and available)."""
    assert settings.matrix_homeserver and settings.matrix_user
    encryption = settings.matrix_encryption and bool(ENCRYPTION_ENABLED)
    if settings.matrix_encryption and not encryption:
        log.warning("matrix: E2EE requested but matrix-nio[e2e] is missing; rooms stay plain")
    config = AsyncClientConfig(
        encryption_enabled=encryption,
        store_sync_tokens=True,
        request_timeout=60,
        max_timeouts=None,
    )
    return AsyncClient(
        settings.matrix_homeserver, settings.matrix_user, store_path=str(store), config=config
    )


def _load(path: Path) -> Session | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return Session(
            homeserver=str(data["homeserver"]),
            user_id=str(data["user_id"]),
            device_id=str(data["device_id"]),
            access_token=str(data["access_token"]),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("matrix: ignoring an unreadable %s", path)
        return None


def _save(path: Path, session: Session) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(session.__dict__, handle)
    tmp.replace(path)


def _same_account(session: Session, settings: Settings) -> bool:
    user = settings.matrix_user or ""
    return session.homeserver == settings.matrix_homeserver and (
        session.user_id == user or session.user_id.removeprefix("@").split(":")[0] == user
    )


async def login(client: AsyncClient, settings: Settings, store: Path) -> Session:
    """Log the client in, reusing the saved device; raise ConfigError on bad credentials."""
    path = store / SESSION_FILE
    saved = _load(path)
    if saved is not None and not _same_account(saved, settings):
        log.warning("matrix: the saved session is for another account; logging in afresh")
        saved = None
    if settings.matrix_token:
        session = await _token_session(client, settings)
    elif saved is not None and await _token_valid(client, saved.access_token):
        session = saved
    else:
        session = await _password_session(client, settings, saved)
    client.restore_login(session.user_id, session.device_id, session.access_token)
    _save(path, session)
    log.info("matrix: logged in as %s (device %s)", session.user_id, session.device_id)
    return session


async def _token_valid(client: AsyncClient, token: str) -> bool:
    client.access_token = token
    response = await client.whoami()
    client.access_token = ""
    return isinstance(response, WhoamiResponse)


async def _token_session(client: AsyncClient, settings: Settings) -> Session:
    assert settings.matrix_token and settings.matrix_homeserver
    client.access_token = settings.matrix_token
    response = await client.whoami()
    if not isinstance(response, WhoamiResponse):
        raise ConfigError(
            "CHATBOT_MATRIX_TOKEN was refused by the homeserver "
            f"({getattr(response, 'status_code', '?')}): create a new access token for the bot"
        )
    device_id = settings.matrix_device_id or response.device_id
    if not device_id:
        raise ConfigError(
            "the homeserver did not say which device CHATBOT_MATRIX_TOKEN belongs to: set "
            "CHATBOT_MATRIX_DEVICE_ID to the device id of that token"
        )
    return Session(settings.matrix_homeserver, response.user_id, device_id, settings.matrix_token)


async def _password_session(
    client: AsyncClient, settings: Settings, saved: Session | None
) -> Session:
    assert settings.matrix_homeserver
    if not settings.matrix_password:
        raise ConfigError(
            "the saved Matrix session is no longer valid and CHATBOT_MATRIX_PASSWORD is not "
            "set: set it, or give a fresh CHATBOT_MATRIX_TOKEN"
        )
    if saved is not None:
        client.device_id = saved.device_id  # log in again on the same device
    elif settings.matrix_device_id:
        client.device_id = settings.matrix_device_id
    response = await client.login(settings.matrix_password, device_name=DEVICE_NAME)
    if not isinstance(response, LoginResponse):
        raise ConfigError(
            "the Matrix homeserver refused the bot's login "
            f"({getattr(response, 'status_code', '?')}: {getattr(response, 'message', '')}): "
            "check CHATBOT_MATRIX_USER and CHATBOT_MATRIX_PASSWORD"
        )
    return Session(
        settings.matrix_homeserver, response.user_id, response.device_id, response.access_token
    )
