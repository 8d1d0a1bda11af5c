"""/export through the real dispatcher: documents, captions, messages (no network)."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from chatbot.accounts import AccountExpired, ServiceUnavailable
from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.matching.model import Match
from chatbot.migration import lists
from chatbot.platforms.base import ChatRef, Document, RecordingPlatform, Reply, SentMessage
from chatbot.services import Services
from handlers import build_registry
from tests.conversation.harness import Chat, texts
from tests.export.matches import bsky, masto

HEADER = "Account address,Show boosts,Notify on new posts,Languages"


@dataclass
class FilePlatform(RecordingPlatform):
    """Keeps each document's bytes as sent (the bot deletes the files afterwards)."""

    files: dict[str, bytes] = field(default_factory=dict)

    async def send(self, chat: ChatRef, reply: Reply) -> SentMessage:
        if isinstance(reply, Document):
            self.files[reply.name] = reply.path.read_bytes()
        return await super().send(chat, reply)


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    services = await Services.start(settings, processes=False)
    yield services
    await services.close()


async def chat_with(services: Services, found: list[Match] | None, **kwargs: object) -> Chat:
    platform = FilePlatform(name="telegram")
    chat = Chat(Dispatcher(services, build_registry()), platform, **kwargs)  # type: ignore[arg-type]
    user = await services.users.get_or_create("telegram", "alice")
    if found is not None:
        services.match_cache[user.id] = (time.monotonic(), found)
    return chat


def docs(replies: list[Reply]) -> list[Document]:
    return [r for r in replies if isinstance(r, Document)]


FOUND = [masto(1), masto(2, "likely", confirmed=True), masto(3, "possible"),
         masto(4, direction="follower"), bsky(5), bsky(6, "likely")]  # fmt: skip


async def test_export_sends_the_three_files_and_deletes_them(services: Services) -> None:
    chat = await chat_with(services, FOUND)
    replies = await chat.say("/export")
    sent = docs(replies)
    assert [d.name for d in sent] == ["following_accounts.csv", "matches.csv", "matches.json"]
    assert [d.mime_type for d in sent] == ["text/csv", "text/csv", "application/json"]
    caption = sent[0].caption or ""
    assert "Preferences → Import and export → Import" in caption
    assert "“Following list”" in caption and "“Merge”" in caption
    assert "2 accounts" in caption and "eligible matches" in caption
    files = chat.platform.files  # type: ignore[attr-defined]
    assert files["following_accounts.csv"].decode().splitlines() == [
        HEADER, "user1@example.social,true,false,", "user2@example.social,true,false,",
    ]  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(files["matches.csv"].decode("utf-8-sig"))))
    assert len(rows) == 6 and {r["direction"] for r in rows} == {"following", "follower"}
    assert json.loads(files["matches.json"])["count"] == 6
    assert "/export list" in texts(replies)
    assert all(not d.path.exists() for d in sent)  # deleted once sent
    assert not any((services.settings.data_dir / "exports").iterdir())


async def test_export_all_includes_every_tier_in_french(services: Services) -> None:
    chat = await chat_with(services, FOUND)
    await chat.say("/lang fr")
    sent = docs(await chat.say("/export all"))
    caption = sent[0].caption or ""
    assert "Préférences → Import et export → Importation" in caption
    assert "« Liste d’abonnements »" in caption and "tous les niveaux" in caption
    assert "3 comptes" in caption
    assert sent[1].caption and "Toutes vos correspondances (6)" in sent[1].caption
    data = json.loads(chat.platform.files["matches.json"])  # type: ignore[attr-defined]
    assert data["language"] == "fr"
    text = data["matches"][0]["reasons"][0]["text"]
    assert text and text != "match.reason.mastodon_links_back"


async def test_nothing_to_export_and_no_archive(services: Services) -> None:
    chat = await chat_with(services, [])
    assert "Nothing to export" in texts(await chat.say("/export"))
    services.match_cache.clear()
    assert "Send me your X archive first" in texts(await chat.say("/export"))
    assert "/export starterpack" in texts(await chat.say("/export nonsense"))


async def test_no_eligible_mastodon_account_still_sends_the_matches(services: Services) -> None:
    chat = await chat_with(services, [masto(1, "possible"), bsky(2)])
    replies = await chat.say("/export")
    assert [d.name for d in docs(replies)] == ["matches.csv", "matches.json"]
    assert "/export all includes every tier" in texts(replies)


async def test_bluesky_list_needs_a_connected_account(services: Services) -> None:
    chat = await chat_with(services, FOUND)
    assert "/connect bluesky" in texts(await chat.say("/export list"))
    chat2 = await chat_with(services, [masto(1)])
    assert "No Bluesky account to put in a list" in texts(await chat2.say("/export starterpack"))


@pytest.mark.parametrize(
    ("error", "said"),
    [(AccountExpired("bluesky"), "connect again with /connect bluesky"),
     (ServiceUnavailable("bluesky"), "send /export starterpack again in a few minutes"),
     (lists.RateLimited("rate_limited"), "send /export starterpack again in an hour"),
     (lists.ListWriteError("InvalidRequest"), "refused to create it (InvalidRequest)")],
)  # fmt: skip
async def test_expired_session_and_server_down(
    services: Services, monkeypatch: pytest.MonkeyPatch, error: Exception, said: str
) -> None:
    async def failing(*_: object) -> None:
        raise error

    monkeypatch.setattr(lists, "bluesky_client", failing)
    chat = await chat_with(services, FOUND)
    assert said in texts(await chat.say("/export starterpack My pack"))


async def test_export_is_private_only(services: Services) -> None:
    chat = await chat_with(services, FOUND, chat="group-1", private=False)
    replies = await chat.say("/export")
    assert not docs(replies)
