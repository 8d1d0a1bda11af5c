"""Post imports against the real local AT Protocol network (dev-env), and a kill -9 mid-way."""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chatbot.config import Settings
from chatbot.migration.follow import FollowOptions
from chatbot.migration.jobs import JobRunner
from chatbot.migration.store import JobStore
from chatbot.platforms.base import RecordingPlatform
from chatbot.posts.job import iso, record_key
from chatbot.posts.prepare import PreparedPost, prepare_posts
from chatbot.posts.store import PostStore, media_dir
from chatbot.services import Services
from devtools.archivegen import ArchiveSpec, generate
from tests.posts.run_import_job import SlowPostWriter, login
from tests.servers.atproto import PASSWORD, AtprotoNetwork

REPO = Path(__file__).resolve().parents[2]
UNLIMITED = FollowOptions(pace=False, hour_points=10**7, day_points=10**8)


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    services = await Services.start(settings, processes=False)
    yield services
    await services.close()


def facets(items: list[dict[str, Any]]) -> list[tuple[int, int, list[dict[str, Any]]]]:
    """Facets as stored (the PDS adds the index's ``$type``)."""
    return [(f["index"]["byteStart"], f["index"]["byteEnd"], f["features"]) for f in items]


def post_records(pds: str, did: str) -> dict[str, dict[str, Any]]:
    """rkey -> post record on the PDS (listRecords), asserting no key appears twice."""
    found: dict[str, dict[str, Any]] = {}
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"repo": did, "collection": "app.bsky.feed.post", "limit": 100}
        if cursor:
            params["cursor"] = cursor
        data = httpx.get(f"{pds}/xrpc/com.atproto.repo.listRecords", params=params).json()
        for record in data["records"]:
            rkey = record["uri"].rsplit("/", 1)[1]
            assert rkey not in found
            found[rkey] = {**record["value"], "uri": record["uri"], "cid": record["cid"]}
        cursor = data.get("cursor")
        if not cursor or not data["records"]:
            return found


async def prepared_user(
    services: Services, archive: Path, chat: str
) -> tuple[int, list[PreparedPost]]:
    user = await services.users.get_or_create("telegram", chat, private_chat_id=f"dm-{chat}")
    folder = media_dir(services.settings.data_dir, user.id)
    prepared = await asyncio.to_thread(prepare_posts, [archive], folder)
    await PostStore(services.db).replace(user.id, prepared.posts)
    return user.id, prepared.posts


async def account(net: AtprotoNetwork) -> tuple[str, str]:
    created = net.create_account("p" + secrets.token_hex(5), display_name="Importer")
    await asyncio.to_thread(net.wait_for_profiles, [created.did])
    return created.did, created.handle


async def test_posts_threads_and_pictures_land_once_with_their_dates(
    atproto_network: AtprotoNetwork, services: Services, tmp_path: Path
) -> None:
    generated = generate(ArchiveSpec(era="H", tweets=60, seed=3), tmp_path / "x.zip")
    user_id, items = await prepared_user(services, generated.path, "31")
    assert any(i.parent_id for i in items) and any(len(i.parts) > 1 for i in items)
    assert any(i.media for i in items), "the archive has pictures to upload"
    did, handle = await account(atproto_network)
    writer = await login(atproto_network.pds_url, handle, PASSWORD)

    async def factory(*_: Any) -> SlowPostWriter:
        return writer

    platform = RecordingPlatform(name="telegram")
    runner = JobRunner(services, {"telegram": platform}, post_writer_factory=factory,
                       options=UNLIMITED, report_interval_s=0)  # fmt: skip
    job = await runner.submit_import(user_id, len(items), {})
    await runner.idle()
    job = await runner.store.get(job.id) or job
    assert (job.state, job.done, job.failed) == ("done", len(items), 0)
    records = post_records(atproto_network.pds_url, did)
    assert len(records) == sum(len(i.parts) for i in items)
    for item in items:
        posts = [records[record_key(item, part)] for part in range(len(item.parts))]
        assert [p["text"] for p in posts] == [part["text"] for part in item.parts]
        assert posts[0]["createdAt"] == iso(item.created_at)  # type: ignore[arg-type]
        for post, part in zip(posts, item.parts, strict=True):
            for facet in post.get("facets", []):  # byte offsets point at the shown token
                index = facet["index"]
                token = post["text"].encode()[index["byteStart"] : index["byteEnd"]].decode()
                assert token.startswith(("@", "#")) or "." in token
            assert facets(post.get("facets", [])) == facets(part["facets"])
        for before, after in itertools.pairwise(posts):  # a long post's own thread
            assert after["reply"]["parent"]["uri"] == before["uri"]
        if item.parent_id is not None:
            parent = next(i for i in items if i.tweet_id == item.parent_id)
            last = records[record_key(parent, len(parent.parts) - 1)]
            root_item = next(i for i in items if i.tweet_id == item.root_id)
            reply_to = posts[0]["reply"]["parent"]
            assert (reply_to["uri"], reply_to["cid"]) == (last["uri"], last["cid"])
            assert posts[0]["reply"]["root"]["uri"] == records[record_key(root_item, 0)]["uri"]
        images = [m for m in item.media if m["kind"] == "image"]
        if images:
            embed = posts[0]["embed"]
            assert embed["$type"] == "app.bsky.embed.images"
            assert len(embed["images"]) == len(images)
            assert embed["images"][0]["image"]["mimeType"] == images[0]["mime"]
    assert not media_dir(services.settings.data_dir, user_id).exists(), "media deleted at the end"
    assert await PostStore(services.db).count(user_id) == 0
    shown = platform.texts() + [reply.text for _, reply in platform.edits]
    assert "Posts to Bluesky: finished." in shown[-1], "the progress message reached the user"
    assert f"{len(items)} posted, 0 already there or empty, 0 refused" in shown[-1]

    # the same archive prepared and imported again: nothing is posted twice
    _, again = await prepared_user(services, generated.path, "31")
    second = await runner.submit_import(user_id, len(again), {})
    await runner.idle()
    second = await runner.store.get(second.id) or second
    assert (second.state, second.done, second.skipped) == ("done", 0, len(again))
    assert len(post_records(atproto_network.pds_url, did)) == len(records)


def _logged(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("select count(*) from post_log").fetchone()[0])


async def test_killed_mid_way_and_restarted_posts_everything_once(
    atproto_network: AtprotoNetwork, settings: Settings, services: Services, tmp_path: Path
) -> None:
    generated = generate(ArchiveSpec(era="H", tweets=60, seed=3), tmp_path / "x.zip")
    user_id, items = await prepared_user(services, generated.path, "32")
    expected = sum(len(i.parts) for i in items)
    did, handle = await account(atproto_network)
    job = await JobStore(services.db).create(user_id, "import_bluesky", {}, len(items))
    db = settings.data_dir / "chatbot.sqlite3"
    cmd = [sys.executable, "-m", "tests.posts.run_import_job", str(settings.data_dir),
           atproto_network.pds_url, handle, PASSWORD, "0.3"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    first = subprocess.Popen(cmd, cwd=REPO, env=env)  # noqa: ASYNC220
    deadline = time.monotonic() + 60
    while _logged(db) < 6 and first.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    cut = len(post_records(atproto_network.pds_url, did))
    assert 6 <= cut < expected, "killed after some posts, before the end"
    second = await asyncio.to_thread(subprocess.run, cmd, cwd=REPO, env=env, timeout=180)
    assert second.returncode == 0
    final = await JobStore(services.db).get(job.id)
    assert final is not None and final.state == "done"
    assert final.done + final.skipped == len(items) and final.failed == 0
    records = post_records(atproto_network.pds_url, did)  # asserts every key once
    assert len(records) == expected  # nothing lost, nothing twice
    texts = [r["text"] for r in records.values()]
    assert sorted(texts) == sorted(p["text"] for i in items for p in i.parts)
