"""/profile through the real dispatcher: preview, confirm, cancel, errors (network faked)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatbot.accounts import AccountExpired, ServiceUnavailable
from chatbot.migration.profile import ProfileDraft
from chatbot.migration.profile_write import Written
from chatbot.platforms.base import Text
from handlers import profile as profile_handler
from tests.accounts.conftest import Bot
from tests.conversation.harness import images, texts
from tests.profile.archive import NAME, picture, profile_archive


async def _connect(bot: Bot, user: str, network: str) -> int:
    record = await bot.services.users.get_or_create("telegram", user)
    await bot.services.accounts.save(
        record.id, network, handle=f"{user}.test", did="did:plc:abc",
        service_url="http://127.0.0.1:9", secret="not-a-session",
    )  # fmt: skip
    return record.id


async def test_preview_then_confirm_in_french(
    bot: Bot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[ProfileDraft] = []

    async def fake_write(services: object, user_id: int, draft: ProfileDraft) -> Written:
        written.append(draft)
        return Written(draft.network, ["name", "bio", "avatar", "banner"])

    monkeypatch.setattr(profile_handler, "write_profile", fake_write)
    chat = bot.chat(language_hint="fr")
    assert "archive" in texts(await chat.say("/profile"))
    avatar, banner = picture(100, 100), picture(300, 100)
    await chat.upload(profile_archive(tmp_path / "twitter.zip", avatar=avatar, banner=banner))
    assert "Connectez d’abord un compte" in texts(await chat.say("/profile"))
    user_id = await _connect(bot, "alice", "bluesky")
    assert "Aucun compte Mastodon" in texts(await chat.say("/profile mastodon"))

    replies = await chat.say("/profile")
    shown = texts(replies)
    assert "Aperçu de votre profil Bluesky (alice.test)" in shown
    assert f"Nom : {NAME}" in shown and "Maps & open data" in shown
    assert "t.co" in shown and "pas copié" in shown  # the website is dropped, and said
    assert [image.data for image in images(replies)] == [avatar, banner]
    question = [r for r in replies if isinstance(r, Text) and r.buttons][-1]
    data = [button.data for row in question.buttons for button in row]
    assert data == ["profile:ok:bluesky", "profile:no:bluesky"]
    assert all(len(d.encode()) < 64 for d in data)
    assert written == []  # nothing is written before the confirmation

    assert "n’a pas changé" in texts(await chat.press("profile:no:bluesky"))
    done = texts(await chat.press("profile:ok:bluesky"))
    assert (
        "C’est fait : votre profil Bluesky a été mis à jour (nom, bio, avatar, bannière)" in done
    )
    (draft,) = written
    assert draft.display_name == NAME and draft.avatar is not None and draft.banner is not None

    await chat.say("/forget")
    await chat.press("forget:yes")
    assert not (bot.services.settings.data_dir / "profiles" / str(user_id)).exists()


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (AccountExpired("bluesky"), "connection has expired: use /connect bluesky again"),
        (ServiceUnavailable("bluesky"), "Bluesky is not answering right now"),
    ],
)
async def test_expired_or_down_get_a_clear_message(
    bot: Bot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception, expected: str
) -> None:
    async def failing(services: object, user_id: int, draft: ProfileDraft) -> Written:
        raise error

    monkeypatch.setattr(profile_handler, "write_profile", failing)
    chat = bot.chat()
    await chat.upload(profile_archive(tmp_path / "twitter.zip"))
    await _connect(bot, "alice", "bluesky")
    shown = texts(await chat.say("/profile bluesky"))
    assert "No avatar or banner" in shown
    assert expected in texts(await chat.press("profile:ok:bluesky"))


async def test_profile_is_private_only_and_checks_its_argument(bot: Bot) -> None:
    assert "Which network?" in texts(await bot.chat().say("/profile x"))
    group = bot.chat("bob", chat="group-1", private=False)
    assert "Preview" not in texts(await group.say("/profile"))
