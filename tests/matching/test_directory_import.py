"""`/import_directory`: bot admins only (CHATBOT_ADMINS), then the CSV as the next file."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.platforms.base import RecordingPlatform
from chatbot.services import Services
from chatbot.storage.directory import DirectoryStore
from tests.conversation.harness import Chat, texts

CSV = """x_id,x_username,bluesky,mastodon
101,alice,alice.bsky.social,
102,@bob,did:plc:bob,bob@social.example
oops,carol,carol.bsky.social,
104,dave,,
105,erin,,erin
"""


def test_admins_setting_is_a_comma_separated_list(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHATBOT_ADMINS", "telegram:42, matrix:@boss:example.org")
    loaded = Settings(_env_file=None)  # type: ignore[call-arg]
    assert loaded.admins == ["telegram:42", "matrix:@boss:example.org"]
    assert settings.admins == []


async def test_only_admins_import_and_the_next_file_is_the_csv(
    net_dispatcher: Dispatcher,
    net_services: Services,
    telegram: RecordingPlatform,
    tmp_path: Path,
) -> None:
    net_services.settings.admins = ["telegram:boss"]
    csv = tmp_path / "roster-2026.csv"
    csv.write_text(CSV, encoding="utf-8")
    stranger = Chat(net_dispatcher, telegram, user="mallory")
    assert "Only the bot's administrators" in texts(await stranger.say("/import_directory"))
    french = Chat(net_dispatcher, telegram, user="mallory-fr", language_hint="fr")
    assert "Seuls les administrateurs" in texts(await french.say("/import_directory"))
    assert "/import_directory" not in texts(await stranger.say("/help"))  # hidden

    admin = Chat(net_dispatcher, telegram, user="boss")
    assert "Send me the CSV file now" in texts(await admin.say("/import_directory"))
    shown = texts(await admin.upload(csv))
    assert "Imported from roster-2026.csv: 3 new, 0 updated, 3 rejected" in shown
    assert "1 with an invalid x_id (line 4)" in shown
    assert "1 without a Bluesky or Mastodon account (line 5)" in shown
    assert "1 with an invalid Mastodon address (line 6)" in shown
    entries = await DirectoryStore(net_services.db).entries([101, 102])
    assert {
        (e.target, e.provenance, e.provenance_detail) for es in entries.values() for e in es
    } == {
        ("alice.bsky.social", "csv_import", "roster-2026.csv"),
        ("did:plc:bob", "csv_import", "roster-2026.csv"),
        ("bob@social.example", "csv_import", "roster-2026.csv"),
    }
    again = texts(await admin.upload(csv))  # without the command: read as an archive
    assert "Imported" not in again

    boss_fr = Chat(net_dispatcher, telegram, user="boss", language_hint="fr")
    assert "Envoyez-moi le fichier CSV" in texts(await boss_fr.say("/import_directory"))
    shown = texts(await boss_fr.upload(csv))
    assert "Importé depuis roster-2026.csv : 0 nouveaux, 3 mis à jour, 3 rejetés" in shown
