"""Threat model §4.8, scaled: a worker dies while it reads an upload; the user is told.

A front end (this process) hands the 10 MB flood zip to a real `chatbot worker`, which
takes the file and starts reading it (seconds); it is killed with SIGKILL. saq retries
the task on a second worker once the heartbeat stops. The file went down with the first
worker (it was moved into that worker's folder), so the retry must tell the user, in
their language, to send it again: one answer, not silence, not two. The front end's
sweep then removes what the dead worker left in the shared uploads folder.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from chatbot.config import Settings
from devtools.archivegen_flood import flood_zip
from tests.faults.harness import HEARTBEAT_S, FrontEnd, t
from tests.servers.process import descendants, kill_all

pytestmark = pytest.mark.slow


def _in_worker(uploads: Path) -> bool:
    """The file was taken by a worker: it left the hand-over folder (``in-…``)."""
    return any(
        p.is_file() and p.name != ".reserved" and not p.parent.name.startswith("in-")
        for p in uploads.rglob("*")
    )


async def test_a_retried_upload_whose_worker_died_asks_to_send_it_again(
    settings: Settings, postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    flood = flood_zip(tmp_path / "twitter-flood.zip").path
    scaled = settings.model_copy(update={
        "database_url": postgres_url, "redis_url": redis_url,
        "queue_heartbeat_s": HEARTBEAT_S, "uploads_orphan_after_s": 20.0,
    })  # fmt: skip
    front = await FrontEnd.start(scaled)
    uploads = scaled.uploads_dir
    try:
        first = front.worker("worker-1")
        await front.chat.upload(flood)  # downloaded by the front end, handed over
        await front.until(lambda: _in_worker(uploads), within_s=90)
        assert first.process is not None
        parsers = descendants(first.process.pid)
        await asyncio.sleep(1.0)  # reading the flood takes several seconds
        await asyncio.to_thread(first.kill)
        kill_all(parsers)
        assert "Archive of @" not in front.shown(), "killed too late: the file was read"
        front.worker("worker-2")

        lost = t("upload.lost")
        await front.until(lambda: lost in front.shown(), within_s=120)
        await front.until(lambda: not any(uploads.iterdir()), within_s=60)  # the sweep
        await asyncio.sleep(2 * HEARTBEAT_S)  # no second answer comes later
        shown = front.shown()
        assert shown.count(lost) == 1 and "Archive of @" not in shown
        print(f"\nFAULTS upload lost: the user saw {shown.splitlines()}")
    finally:
        await front.close()
