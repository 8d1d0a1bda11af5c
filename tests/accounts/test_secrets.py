"""The key that encrypts secrets at rest: configured, or generated once outside the data
folder with mode 0600; production refuses unsafe places; a copy of the data folder alone
decrypts nothing (threat model §4.13)."""

from __future__ import annotations

import logging
import shutil
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import SecretStr

from chatbot.config import ConfigError, Settings, default_key_file
from chatbot.secret_key import LEGACY_KEY_FILE
from chatbot.secrets import SecretBox, SecretDecryptionError
from chatbot.services import Services

SESSION = "canary-session-7f3a9c"


def test_the_key_file_is_generated_private_outside_the_data_dir_and_reused(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    box = SecretBox.from_settings(settings)
    path = default_key_file()
    assert not path.is_relative_to(settings.data_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [LEGACY_KEY_FILE]  # no temporary left
    assert list(settings.data_dir.iterdir()) == []
    token = box.encrypt(b"session")
    assert b"session" not in token
    assert SecretBox.from_settings(settings).decrypt(token) == b"session"  # same key
    assert path.read_text().strip() not in caplog.text
    assert "hidden" in repr(box)


def test_a_configured_key_wins_and_another_key_cannot_decrypt(settings: Settings) -> None:
    key = SecretBox.new_key().decode()
    configured = settings.model_copy(update={"secret_key": SecretStr(key)})
    box = SecretBox.from_settings(configured)
    assert not default_key_file().exists()
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


async def test_a_copy_of_the_data_folder_alone_decrypts_nothing(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = await Services.start(settings, processes=False)
    try:
        user = await services.users.get_or_create("telegram", "ann")
        await services.accounts.save(
            user.id, "bluesky", handle="ann.test", service_url="https://pds.test", secret=SESSION
        )
        assert (await services.accounts.get(user.id, "bluesky")) is not None
    finally:
        await services.close()
    key = default_key_file().read_bytes().strip()

    # the thief has the data folder (a backup, a disk), not the bot's config folder
    stolen = tmp_path / "stolen"
    shutil.copytree(settings.data_dir, stolen)
    everything = b"".join(p.read_bytes() for p in stolen.rglob("*") if p.is_file())
    assert key not in everything and SESSION.encode() not in everything
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "thief-config"))
    services = await Services.start(
        settings.model_copy(update={"data_dir": stolen}), processes=False
    )
    try:
        user = await services.users.get_or_create("telegram", "ann")
        with pytest.raises(SecretDecryptionError):
            await services.accounts.get(user.id, "bluesky")
    finally:
        await services.close()


def test_production_refuses_to_start_without_an_explicit_key(settings: Settings) -> None:
    production = settings.model_copy(update={"production": True})
    with pytest.raises(ConfigError, match=r"CHATBOT_SECRET_KEY .*CHATBOT_SECRET_KEY_FILE"):
        SecretBox.from_settings(production)
    assert not default_key_file().exists()
    missing = production.model_copy(update={"secret_key_file": default_key_file()})
    with pytest.raises(ConfigError, match="does not exist"):
        SecretBox.from_settings(missing)


def _key_file(path: Path, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(SecretBox.new_key())
    path.chmod(mode)
    return path


def test_a_key_in_the_data_dir_or_readable_by_others_is_refused_in_production(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inside = _key_file(settings.data_dir / "keys" / "bot.key")
    shared = _key_file(tmp_path / "etc" / "bot.key", 0o644)
    for path, reason in ((inside, "inside the data directory"), (shared, "readable by other")):
        development = settings.model_copy(update={"secret_key_file": path})
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            SecretBox.from_settings(development)  # development: it starts, loudly
        assert "SECURITY" in caplog.text and reason in caplog.text
        production = development.model_copy(update={"production": True})
        with pytest.raises(ConfigError, match=reason):
            SecretBox.from_settings(production)
    safe = _key_file(tmp_path / "etc" / "safe.key")
    safe_production = settings.model_copy(update={"secret_key_file": safe, "production": True})
    SecretBox.from_settings(safe_production)  # outside the data dir, 0600: it starts


def test_the_old_key_beside_the_database_moves_out_and_sessions_survive(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    legacy = _key_file(settings.data_dir / LEGACY_KEY_FILE, 0o644)
    old_key = legacy.read_bytes()
    token = SecretBox(old_key).encrypt(b"stored session")
    with caplog.at_level(logging.WARNING):
        box = SecretBox.from_settings(settings)
    assert box.decrypt(token) == b"stored session"  # never silently lost
    assert not legacy.exists()
    assert default_key_file().read_bytes().strip() == old_key.strip()
    assert stat.S_IMODE(default_key_file().stat().st_mode) == 0o600
    assert "moved the secret key out of the data directory" in caplog.text
    assert old_key.decode().strip() not in caplog.text


def test_a_configured_key_retires_the_same_old_copy_and_refuses_another(
    settings: Settings,
) -> None:
    legacy = _key_file(settings.data_dir / LEGACY_KEY_FILE)
    same = settings.model_copy(update={"secret_key": SecretStr(legacy.read_text())})
    SecretBox.from_settings(same)
    assert not legacy.exists()  # the copy in the data dir is gone; the key is elsewhere
    _key_file(legacy)
    other = settings.model_copy(update={"secret_key": SecretStr(SecretBox.new_key().decode())})
    with pytest.raises(ConfigError, match="would be lost"):
        SecretBox.from_settings(other)
    assert legacy.exists()  # kept: the operator decides


def test_processes_starting_together_move_the_old_key_once(settings: Settings) -> None:
    """A front end and its workers start at once on the same data folder."""
    legacy = _key_file(settings.data_dir / LEGACY_KEY_FILE)
    token = SecretBox(legacy.read_bytes()).encrypt(b"stored session")
    with ThreadPoolExecutor(8) as pool:
        boxes = list(pool.map(lambda _: SecretBox.from_settings(settings), range(8)))
    assert all(box.decrypt(token) == b"stored session" for box in boxes)
    assert not legacy.exists()
