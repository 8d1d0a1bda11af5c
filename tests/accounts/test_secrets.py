"""The key that encrypts secrets at rest: configured, or generated once with mode 0600."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from chatbot.config import ConfigError, Settings
from chatbot.secrets import KEY_FILE, SecretBox, SecretDecryptionError


def test_the_key_file_is_generated_private_and_reused(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    box = SecretBox.from_settings(settings)
    path = settings.data_dir / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in settings.data_dir.iterdir()] == [KEY_FILE]  # no temporary left
    token = box.encrypt(b"session")
    assert b"session" not in token
    assert SecretBox.from_settings(settings).decrypt(token) == b"session"  # same key
    assert path.read_text().strip() not in caplog.text
    assert "hidden" in repr(box)


def test_a_configured_key_wins_and_another_key_cannot_decrypt(settings: Settings) -> None:
    key = SecretBox.new_key().decode()
    configured = settings.model_copy(update={"secret_key": SecretStr(key)})
    box = SecretBox.from_settings(configured)
    assert not (settings.data_dir / KEY_FILE).exists()
    assert key not in repr(configured)
    with pytest.raises(SecretDecryptionError):
        SecretBox(SecretBox.new_key()).decrypt(box.encrypt(b"token"))


def test_bad_keys_stop_the_bot_with_a_clear_message(settings: Settings, tmp_path: Path) -> None:
    bad = settings.model_copy(update={"secret_key": SecretStr("not-a-key")})
    with pytest.raises(ConfigError, match="CHATBOT_SECRET_KEY: the secret key is malformed"):
        SecretBox.from_settings(bad)
    path = tmp_path / "broken.key"
    path.write_text("short")
    with pytest.raises(ConfigError, match=r"broken\.key: the secret key is malformed"):
        SecretBox.from_file(path)
    unreadable = tmp_path / "dir.key"
    unreadable.mkdir()  # unreadable as a file, even for root
    with pytest.raises(ConfigError, match="cannot read the secret key file"):
        SecretBox.from_file(unreadable)
