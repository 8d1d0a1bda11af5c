"""Encryption of secrets at rest (sessions, tokens, OAuth client secrets): Fernet.

The key comes from the setting ``secret_key`` (CHATBOT_SECRET_KEY, a url-safe base64
Fernet key, ``SecretBox.new_key()``), or from ``<data_dir>/secret.key``, generated on
first start with mode 0600 (created atomically: written to a private temporary file,
then linked into place, so no other process ever sees a partial or readable key). The
key is never logged. Losing it only disconnects the accounts: users /connect again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets as random
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from chatbot.config import ConfigError, Settings

log = logging.getLogger(__name__)

KEY_FILE = "secret.key"
WEBHOOK_SECRET_FILE = "telegram-webhook.secret"


class SecretDecryptionError(Exception):
    """A stored secret cannot be decrypted (another key, or damaged data)."""


class SecretBox:
    """Encrypts and authenticates small secrets with one symmetric key."""

    def __init__(self, key: bytes | str) -> None:
        raw = key.encode("ascii", "replace") if isinstance(key, str) else key
        try:
            self._fernet = Fernet(raw.strip())
        except (ValueError, TypeError):
            raise ConfigError(
                "the secret key is malformed: it must be 32 bytes in url-safe base64 "
                "(44 characters); create one with: python -c 'from cryptography.fernet "
                "import Fernet; print(Fernet.generate_key().decode())'"
            ) from None

    def __repr__(self) -> str:  # never show the key
        return "SecretBox(<key hidden>)"

    @staticmethod
    def new_key() -> bytes:
        return Fernet.generate_key()

    def encrypt(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except (InvalidToken, TypeError, ValueError):
            raise SecretDecryptionError("the stored secret cannot be decrypted") from None

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        """The configured key, else the key file in the data directory (created if absent)."""
        if settings.secret_key:
            try:
                return cls(settings.secret_key.get_secret_value())
            except ConfigError as exc:
                raise ConfigError(f"CHATBOT_SECRET_KEY: {exc}") from None
        return cls.from_file(settings.data_dir / KEY_FILE)

    @classmethod
    def from_file(cls, path: Path) -> SecretBox:
        if not path.exists():
            _create_key_file(path)
        try:
            key = path.read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"cannot read the secret key file {path}: {exc.strerror or exc}; make it "
                "readable by the bot's user (mode 0600), or set CHATBOT_SECRET_KEY"
            ) from None
        try:
            return cls(key)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None


def webhook_secret(settings: Settings) -> str:
    """The Telegram webhook's secret_token: the setting, else a file generated on first use."""
    if settings.telegram_webhook_secret:
        return settings.telegram_webhook_secret.get_secret_value()
    path = settings.data_dir / WEBHOOK_SECRET_FILE
    if not path.exists():
        _create_key_file(path, lambda: random.token_urlsafe(32).encode("ascii"))
    try:
        return path.read_text("ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the webhook secret file {path}: {exc}; make it readable by the "
            "bot's user (mode 0600), or set CHATBOT_TELEGRAM_WEBHOOK_SECRET"
        ) from None


def _create_key_file(path: Path, make: Callable[[], bytes] = Fernet.generate_key) -> None:
    """Write a new key with mode 0600, atomically; keep the other one if two starts race."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{random.token_hex(6)}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(make())
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)  # fails if another process created it meanwhile
            log.info("generated a new secret key in %s", path)
        except FileExistsError:
            pass
    except OSError as exc:
        raise ConfigError(
            f"cannot create the secret key file {path}: {exc.strerror or exc}; check that "
            "the data directory is writable, or set CHATBOT_SECRET_KEY"
        ) from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()
