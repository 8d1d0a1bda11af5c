"""Outbound request amplification (threat-model §4.6, issue 11 item 5).

A counting stub AppView on loopback; an archive of 5,000 followed accounts, each mentioned
once (devtools.archivegen + a forged tweets.js). Its upload made 15,400 AppView requests
before per-user budgets; now a run stays within ``CHATBOT_LOOKUPS_PER_ARCHIVE``, the day
within ``CHATBOT_LOOKUPS_PER_DAY``, the user is told, and another user's small /match
finishes at its own pace while the big one is still running.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from chatbot.archive.model import Owner, ParsedArchive, id_array
from chatbot.config import Settings
from chatbot.services import Services
from tests.conversation.harness import texts
from tests.egress.amplify import amplification_zip
from tests.egress.conftest import Bot
from tests.servers.egress import allow_local


class CountingAppView:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.queries: Counter[str] = Counter()  # searchActors queries
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        method = request.path.rsplit("/", 1)[-1]
        self.counts[method] += 1
        if method == "app.bsky.actor.searchActors":
            self.queries[request.query.get("q", "")] += 1
            return web.json_response({"actors": []})
        if method == "app.bsky.actor.getProfiles":
            return web.json_response({"profiles": []})
        return web.json_response({"error": "InvalidRequest"}, status=400)


@pytest.fixture
async def appview() -> AsyncIterator[CountingAppView]:
    stub = CountingAppView()
    app = web.Application()
    app.router.add_get("/{tail:.*}", stub.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    stub.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield stub
    await runner.cleanup()


@pytest.fixture
async def bot(settings: Settings, appview: CountingAppView) -> AsyncIterator[Bot]:
    configured = allow_local(settings).model_copy(
        update={
            "matching_offline": False,
            "bluesky_appview_url": appview.url,
            "x_oembed_url": f"{appview.url}/oembed",
            "lookups_per_archive": 500,
            "lookups_per_day": 800,
            "lookups_per_second": 60.0,
        }
    )
    services = await Services.start(configured, processes=False)
    try:
        yield Bot(services)
    finally:
        await services.close()


async def test_one_archive_cannot_amplify_into_thousands_of_requests(
    bot: Bot, appview: CountingAppView, tmp_path: Path
) -> None:
    archive = amplification_zip(tmp_path)
    alice = bot.chat("alice")
    reply = texts(await alice.upload(archive))
    assert sum(appview.counts.values()) <= 500  # 15,400 before the budgets
    assert appview.counts["app.bsky.actor.searchActors"] > 0
    assert "more people than I may look up at once on Bluesky" in reply
    assert "at most 500 lookups per archive" in reply

    # the next /match goes further (what was searched is cached, found or not, and costs
    # nothing) until the day's budget is spent
    searched = appview.counts["app.bsky.actor.searchActors"]
    reply = texts(await alice.say("/match"))
    assert sum(appview.counts.values()) <= 800
    assert appview.counts["app.bsky.actor.searchActors"] > searched
    assert max(appview.queries.values()) == 1  # no query was sent twice
    assert "/match later" in reply
    before = sum(appview.counts.values())
    reply = texts(await alice.say("/match"))
    assert sum(appview.counts.values()) == before  # nothing left today
    assert "/match later" in reply


async def test_a_small_user_is_not_held_up_by_a_big_one(
    bot: Bot, appview: CountingAppView, tmp_path: Path
) -> None:
    services = bot.services
    big = await services.users.get_or_create("telegram", "big")
    parsed = ParsedArchive(era="manifest", owner=Owner(account_id="1", username="big_x"))
    parsed.following = id_array(range(10_000, 15_000))
    parsed.handles = {x: Counter({f"n{x}x": 1}) for x in parsed.following}
    await services.archives.save(big.id, parsed)
    small = await services.users.get_or_create("telegram", "small")
    mine = ParsedArchive(era="manifest", owner=Owner(account_id="2", username="small_x"))
    mine.following = id_array([20_001, 20_002, 20_003])
    mine.handles = {x: Counter({f"s{x}x": 1}) for x in mine.following}
    await services.archives.save(small.id, mine)

    big_chat, small_chat = bot.chat("big"), bot.chat("small")
    big_chat.wait_for_jobs = small_chat.wait_for_jobs = False
    big_run = asyncio.create_task(big_chat.say("/match"))
    await asyncio.sleep(1.0)  # the big run is well under way (paced at 60 requests/s)
    started = time.monotonic()
    reply = texts(await small_chat.say("/match"))
    small_took = time.monotonic() - started
    assert not big_run.done()
    assert small_took < 2.0, small_took
    assert "more people than I may look up" not in reply
    assert "more people than I may look up" in texts(await big_run)
