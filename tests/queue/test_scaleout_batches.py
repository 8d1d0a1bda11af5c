"""Scale-out mode, issue 14: files sent in a row reach the workers one by one, possibly
different ones; they are still one upload (the batch lives in Redis): one acknowledgement
each, then one summary and one matching."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatbot.config import Settings
from tests.conversation.partial import loose
from tests.queue.test_scaleout import Deployment, deployment  # noqa: F401


@pytest.fixture
def scaled(settings: Settings, postgres_url: str, redis_url: str) -> Settings:
    return settings.model_copy(update={"database_url": postgres_url, "redis_url": redis_url,
                                       "follow_pace": False, "upload_batch_s": 1.0})  # fmt: skip


async def test_files_in_a_row_are_one_upload_across_workers(
    deployment: Deployment,  # noqa: F811
    tmp_path: Path,
) -> None:
    d = deployment
    files = loose(tmp_path, "H", ["account.js", "following.js", "follower.js"])
    for path in files:
        await d.chat.upload(path)  # the front end hands each file over at once
    await d.until(lambda: "People who followed you on X" in d.shown())
    shown = d.shown()
    assert shown.count("📦") == 1 and shown.count("Now looking for your X contacts") == 1
    assert shown.count("The uploaded file has been deleted") == 3
    assert "@alice_3" in shown and "• 15 accounts followed" in shown and "• 12 followers" in shown
