"""Schema limits (threat model §4.14): an archive with fields no column can hold is answered
as a damaged archive, the same way on SQLite and PostgreSQL, never as an outage.

PostgreSQL refuses a value longer than its column or holding a NUL character with a data
error, which the dispatcher would take for an infrastructure failure ("I can't reach my
database"); SQLite stores the same value. Every field is therefore checked or clipped
before it is written (`chatbot.storage.limits`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from chatbot.conversation import Dispatcher
from chatbot.i18n import translator
from chatbot.matching.model import DirectoryEntry
from chatbot.ops import metrics
from chatbot.platforms.base import RecordingPlatform
from chatbot.services import Services
from chatbot.storage.db import Database
from chatbot.storage.directory import DirectoryStore
from handlers import build_registry
from tests.abuse.conftest import services
from tests.abuse.forged import forged_zip
from tests.conversation.harness import Chat

EN = translator("en")
DAMAGED = EN("archive.error.malformed", file="account.js")
__all__ = ["services"]  # the bot on the test database (SQLite, then PostgreSQL)

LONG_FIELDS = {
    "username": {"account_id": "12345", "username": "u" * 300},
    "account id": {"account_id": "9" * 40, "username": "someone"},
    "control characters": {"account_id": "12345", "username": "al\x00ice\u202e"},
}


def _shown(platform: RecordingPlatform) -> str:
    """Every text the user saw, progress messages as last edited included."""
    return "\n".join([*platform.texts(), *(text.text for _, text in platform.edits)])


def _errors() -> float:
    return float(metrics.HANDLER_ERRORS.labels(platform="telegram")._value.get())


@pytest.mark.parametrize("field", sorted(LONG_FIELDS))
async def test_a_field_no_column_can_hold_is_a_damaged_archive_on_both_backends(
    field: str, services: Services, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    platform = RecordingPlatform(name="telegram")
    chat = Chat(Dispatcher(services, build_registry()), platform)
    errors = _errors()
    archive = forged_zip(tmp_path / "x.zip", **LONG_FIELDS[field], following=[1, 2, 3])
    with caplog.at_level(logging.WARNING):
        await chat.upload(archive)
    said = _shown(platform)
    assert DAMAGED in said, said
    assert EN("error.unavailable") not in said
    assert _errors() == errors  # no outage, no handler failure
    assert not [r for r in caplog.records if "infrastructure unavailable" in r.getMessage()]
    assert await services.archives.load((await services.users.get_or_create(
        "telegram", "alice")).id) is None  # fmt: skip


async def test_a_long_display_name_and_nul_characters_are_clipped_and_stored(
    services: Services, tmp_path: Path
) -> None:
    platform = RecordingPlatform(name="telegram")
    chat = Chat(Dispatcher(services, build_registry()), platform)
    archive = forged_zip(
        tmp_path / "x.zip",
        account_id="12345",
        username="alice",
        display_name="Al\x00ice " + "x" * 100_000,
        mentions=[(77, "bob\x00"), (78, "b" * 70), (2**64, "carol"), (79, "dave")],
    )
    await chat.upload(archive)
    said = _shown(platform)
    assert "@alice" in said and EN("error.unavailable") not in said
    user = await services.users.get_or_create("telegram", "alice")
    stored = await services.archives.load(user.id)
    assert stored is not None and stored.owner.display_name is not None
    assert "\x00" not in stored.owner.display_name and len(stored.owner.display_name) <= 200
    assert set(stored.handles) == {79}  # only screen names X allows, ids X can have


async def test_directory_rows_keep_to_the_schema(database: Database) -> None:
    store = DirectoryStore(database)
    base = DirectoryEntry(5, "alice", "mastodon", "a@x.example", acct="a@x.example")
    assert await store.save(base) is True
    refused = [
        DirectoryEntry(5, "alice", "mastodon", "a" * 300 + "@x.example", acct="a" * 300),
        DirectoryEntry(5, "alice", "mastodon", "nul\x00@x.example", acct="nul\x00@x.example"),
        DirectoryEntry(5, "alice", "mastodon", "ev\u202eil@x.example", acct="ev\u202eil@x.ex"),
        DirectoryEntry(2**63, "alice", "mastodon", "b@x.example", acct="b@x.example"),
    ]
    for entry in refused:
        assert await store.save(entry) is False
    detail = "\x00" + "f" * 400
    named = DirectoryEntry(6, "x" * 300, "mastodon", "c@x.example", acct="c@x.example",
                           provenance="csv_import", provenance_detail=detail)  # fmt: skip
    assert await store.save(named) is True
    (row,) = (await store.entries([6]))[6]
    assert row.x_username is None and row.provenance_detail is not None
    assert len(row.provenance_detail) <= 255 and "\x00" not in row.provenance_detail
