"""Sending an X archive to the real bot: summary and chart, size limits, merging, flood."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from chatbot.i18n import translator
from tests.e2e.telegram import archives
from tests.e2e.telegram.conftest import Deployment
from tests.e2e.telegram.driver import Message, TelegramUser, text_of

EN = translator("en")
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def small_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return archives.write_zip(tmp_path_factory.mktemp("zips") / "twitter-small.zip")


@pytest.fixture(scope="module")
def big_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 MB that stay 30 MB zipped: incompressible bytes in data/tweets_media/."""
    path = tmp_path_factory.mktemp("zips") / "twitter-2026-big.zip"
    return archives.write_zip(path, padding_bytes=30_000_000)


def summary_of(user: TelegramUser, timeout: float = 30.0) -> Message:
    return user.wait_text(f"@{archives.USERNAME}", archives.DISPLAY_NAME, timeout=timeout)


def assert_full_summary(text: str) -> None:
    assert f"{archives.FOLLOWING} accounts followed" in text
    assert f"{archives.FOLLOWERS} followers" in text


def test_archive_gets_a_summary_and_a_chart(telegram: Deployment, small_zip: Path) -> None:
    user = telegram.user()
    user.send_file(small_zip)
    summary = summary_of(user)
    assert_full_summary(text_of(summary))
    assert f"{archives.TWEETS} posts" in text_of(summary)
    replies = user.wait_replies(lambda ms: any("photo" in m for m in ms))
    photo = next(m for m in replies if "photo" in m)
    assert photo["message_id"] > summary["message_id"]
    assert telegram.emulator.file_bytes(photo["photo"][-1]["file_id"]).startswith(PNG)
    assert text_of(photo) == EN("summary.chart_caption")
    progress = replies[0]
    assert text_of(progress) == EN("upload.read_done")  # the progress message, edited


def test_big_archive_on_the_cloud_api_gets_slim_guidance(
    telegram: Deployment, big_zip: Path
) -> None:
    assert big_zip.stat().st_size > 30_000_000
    user = telegram.user()
    user.send_file(big_zip)
    user.wait_text(EN("upload.too_big_for_platform", limit=20))
    guidance = text_of(user.wait_text("following.js"))
    assert guidance == EN("upload.slim_guidance")
    for hint in ("data folder", "follower.js", "account.js", "one after another"):
        assert hint in guidance
    time.sleep(0.5)
    assert not any(archives.USERNAME in text_of(m) for m in user.replies())


def test_big_archive_works_on_a_local_bot_api_server(
    telegram_local: Deployment, big_zip: Path
) -> None:
    user = telegram_local.user()
    user.send_file(big_zip)
    assert_full_summary(text_of(summary_of(user, timeout=60)))


def test_loose_files_sent_one_after_another_are_merged(
    telegram: Deployment, tmp_path: Path
) -> None:
    user = telegram.user()
    for part in (archives.following(), archives.follower(), archives.account()):
        path = tmp_path / part.name
        path.write_text(part.content)
        user.send_file(path, mime="application/javascript")
        user.wait_text(EN("upload.read_done"))
    summary = summary_of(user)
    assert_full_summary(text_of(summary))


def test_flood_controlled_edits_do_not_lose_the_final_message(
    telegram: Deployment, small_zip: Path
) -> None:
    user = telegram.user()
    user.send("/start")
    user.wait_replies(lambda ms: len(ms) >= 2)
    telegram.emulator.flood(user.user_id, edit_min_interval_s=600, retry_after=1)
    user.send_file(small_zip)
    summary = summary_of(user)
    replies = user.replies()
    progress = replies[0]
    assert text_of(progress) == EN("upload.receiving")  # every edit was refused...
    assert progress["edits"] == []
    final = [m for m in replies if text_of(m) == EN("upload.read_done")]
    assert len(final) == 1  # ...so the final state came as a message of its own
    assert final[0]["message_id"] < summary["message_id"]


def test_flood_controlled_send_is_retried(telegram: Deployment) -> None:
    user = telegram.user()
    user.send("/start")
    user.wait_replies(lambda ms: len(ms) >= 2)
    telegram.emulator.flood(user.user_id, fail_sends=1, retry_after=1)
    started = time.monotonic()
    user.send("/help")
    user.wait_text(EN("help.title"))
    assert time.monotonic() - started >= 1.0  # it waited as told, then sent
    assert "flood control on send" in telegram.bot_log()


def test_one_users_slow_archive_does_not_delay_another_user(
    telegram: Deployment, tmp_path: Path
) -> None:
    slow, quick = telegram.user(), telegram.user(first_name="Max")
    archive = archives.write_zip(tmp_path / "twitter-15mb.zip", padding_bytes=15_000_000)
    slow.send_file(archive, download_delay_s=6)
    slow.wait_text(EN("upload.receiving"))
    started = time.monotonic()
    quick.send("/help")
    quick.wait_text(EN("help.title"), timeout=5)
    assert time.monotonic() - started < 3
    assert not any(archives.USERNAME in text_of(m) for m in slow.replies())
    assert_full_summary(text_of(summary_of(slow, timeout=60)))


def test_no_personal_data_in_the_logs(telegram: Deployment, tmp_path: Path) -> None:
    user = telegram.user()
    user.send("my private words about kumquats")
    user.wait_replies(lambda ms: len(ms) >= 1)
    archive = archives.write_zip(tmp_path / "twitter-zoe-private-name.zip")
    user.send_file(archive)
    summary_of(user)
    log = telegram.bot_log()
    for secret in ("kumquats", "zoe-private-name", archives.USERNAME, archives.DISPLAY_NAME):
        assert secret not in log
