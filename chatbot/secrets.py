"""Encryption of secrets at rest (sessions, tokens, OAuth client secrets): Fernet.

The key comes from ``CHATBOT_SECRET_KEY``, ``CHATBOT_SECRET_KEY_FILE``, or a file
generated outside the data directory on first start (`chatbot.secret_key` says where,
and what is refused). The key is never logged. Losing it only disconnects the accounts:
users /connect again.
"""

from __future__ import annotations

import secrets as random
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from chatbot.config import ConfigError, Settings
from chatbot.secret_key import create_private_file, load_key, read_key_file

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
        """The configured key, else the generated one (see `chatbot.secret_key`)."""
        key = load_key(settings)
        try:
            return cls(key)
        except ConfigError as exc:
            where = "CHATBOT_SECRET_KEY" if settings.secret_key else "the secret key file"
            raise ConfigError(f"{where}: {exc}") from None

    @classmethod
    def from_file(cls, path: Path) -> SecretBox:
        key = read_key_file(path)
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
        create_private_file(path, lambda: random.token_urlsafe(32).encode("ascii"))
    try:
        return path.read_text("ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the webhook secret file {path}: {exc}; make it readable by the "
            "bot's user (mode 0600), or set CHATBOT_TELEGRAM_WEBHOOK_SECRET"
        ) from None
