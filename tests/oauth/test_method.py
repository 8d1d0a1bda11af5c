"""Which way /connect bluesky goes, and that the reply says why."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from chatbot.config import Settings
from chatbot.services import Services
from tests.accounts.conftest import Bot
from tests.conversation.harness import texts


async def _bot(settings: Settings) -> AsyncIterator[Bot]:
    services = await Services.start(settings, processes=False)
    try:
        yield Bot(services)
    finally:
        await services.close()


@pytest.fixture
async def public_bot(settings: Settings) -> AsyncIterator[Bot]:
    async for bot in _bot(settings.model_copy(update={"public_url": "https://bot.example.org"})):
        yield bot


@pytest.fixture
async def plain_bot(settings: Settings) -> AsyncIterator[Bot]:
    async for bot in _bot(settings):
        yield bot


async def test_without_a_public_url_app_passwords_and_why(plain_bot: Bot) -> None:
    chat = plain_bot.chat()
    said = texts(await chat.say("/connect bluesky"))
    assert "Method: app password, because this bot has no web address" in said
    said = texts(await chat.say("alice.bsky.social"))
    assert "app password for alice.bsky.social" in said


async def test_app_password_on_request_with_a_public_url(public_bot: Bot) -> None:
    chat = public_bot.chat()
    said = texts(await chat.say("/connect bluesky password"))
    assert "Method: app password, as you asked." in said
    said = texts(await chat.say("alice.bsky.social"))
    assert "app password for alice.bsky.social" in said  # the password step, not a link


async def test_french_link_explanation_keys_exist(public_bot: Bot) -> None:
    said = texts(await public_bot.chat(language_hint="fr").say("/connect bluesky password"))
    assert "Méthode : mot de passe d’application, comme vous l’avez demandé." in said
