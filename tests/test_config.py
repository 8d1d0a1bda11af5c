"""Configuration is validated at start-up with messages that say how to fix it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chatbot.config import ConfigError, Settings, load_settings


@pytest.fixture(autouse=True)
def _clean_env(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_use_sqlite_in_the_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATBOT_DATA_DIR", "/srv/bot")
    settings = load_settings()
    assert settings.sqlalchemy_url == "sqlite+aiosqlite:////srv/bot/chatbot.sqlite3"
    assert not settings.telegram_enabled and not settings.matrix_enabled


def test_database_url_is_made_async(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db:5432/bot")
    assert load_settings().sqlalchemy_url == "postgresql+asyncpg://u:p@db:5432/bot"


def test_the_handle_suffix_is_a_domain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATBOT_BLUESKY_DEFAULT_HANDLE_SUFFIX", ".Example.ORG.")
    assert load_settings().bluesky_default_handle_suffix == "example.org"


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("CHATBOT_TELEGRAM_TOKEN=123:abc\nCHATBOT_DEFAULT_LANGUAGE=fr\n")
    settings = load_settings()
    assert settings.telegram_enabled and settings.default_language == "fr"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CHATBOT_TELEGRAM_TOKEN": "nocolon"}, "@BotFather"),
        ({"CHATBOT_TELEGRAM_API_URL": "127.0.0.1:8081"}, "http://"),
        ({"CHATBOT_TELEGRAM_LOCAL_MODE": "true"}, "CHATBOT_TELEGRAM_API_URL"),
        ({"CHATBOT_MATRIX_HOMESERVER": "https://hs"}, "CHATBOT_MATRIX_USER"),
        (
            {"CHATBOT_MATRIX_HOMESERVER": "https://hs", "CHATBOT_MATRIX_USER": "@b:hs"},
            "CHATBOT_MATRIX_PASSWORD",
        ),
        ({"CHATBOT_MATRIX_USER": "@b:hs"}, "CHATBOT_MATRIX_HOMESERVER"),
        ({"CHATBOT_DEFAULT_LANGUAGE": "de"}, "CHATBOT_DEFAULT_LANGUAGE"),
        ({"CHATBOT_ARCHIVE_MAX_ENTRIES": "-1"}, "CHATBOT_ARCHIVE_MAX_ENTRIES"),
        ({"CHATBOT_BLUESKY_DEFAULT_HANDLE_SUFFIX": "https://bsky.social"}, "bsky.social"),
        ({"CHATBOT_BLUESKY_ENTRYWAY_URL": "bsky.social"}, "http://"),
    ],
)
def test_bad_settings_say_how_to_fix_them(
    env: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_the_command_exits_2_with_the_message(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chatbot.cli", "run"],
        env={"CHATBOT_TELEGRAM_TOKEN": "nocolon", "CHATBOT_DATA_DIR": str(tmp_path), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "CHATBOT_TELEGRAM_TOKEN" in result.stderr and "Traceback" not in result.stderr
