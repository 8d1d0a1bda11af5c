"""One user flooding commands and uploads is slowed down without slowing anyone else."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from chatbot.conversation import Dispatcher
from chatbot.platforms.base import Attachment, ChatRef, IncomingMessage, RecordingPlatform, UserRef
from chatbot.services import Services
from handlers import build_registry
from tests.conversation.harness import SAMPLES, make_zip, texts

DOGSHEEP = SAMPLES / "dogsheep-twitter-to-sqlite-2019"


def _message(user: str, n: int, **fields: object) -> IncomingMessage:
    chat = ChatRef("telegram", f"dm-{user}", is_private=True)
    return IncomingMessage(chat, UserRef("telegram", user), str(n), **fields)  # type: ignore[arg-type]


async def _timed_help(
    dispatcher: Dispatcher, platform: RecordingPlatform, user: str
) -> list[float]:
    """`user` sends 20 /help one after the other (a person waiting for each reply)."""
    latencies = []
    for n in range(20):
        started = time.perf_counter()
        await dispatcher.handle(platform, _message(user, n, text="/help", command="help"))
        latencies.append(time.perf_counter() - started)
    return latencies


def _p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95) - 1]


async def test_a_flooding_user_is_limited_and_others_are_not_slowed(
    services: Services, tmp_path: Path
) -> None:
    platform = RecordingPlatform(name="telegram")
    dispatcher = Dispatcher(services, build_registry())
    archive = make_zip(
        tmp_path / "twitter-2019.zip",
        {name: DOGSHEEP / name for name in ("account.js", "follower.js", "following.js")},
    )
    attachment = Attachment(str(archive), archive.name, archive.stat().st_size)
    await _timed_help(dispatcher, platform, "warmup")
    alone = await _timed_help(dispatcher, platform, "bob-alone")

    # uploads first: 20 events fill the general window (20 per 30 s), so all 20 files reach
    # the upload limit (15 per 5 minutes) and the 200 commands meet the flood notice
    limit = services.settings.upload_limit
    assert limit < 20
    flood = [_message("mallory", n, attachment=attachment) for n in range(20)]
    flood += [_message("mallory", 100 + n, text="/status", command="status") for n in range(200)]
    tasks = [asyncio.create_task(dispatcher.handle(platform, m)) for m in flood]
    crowded = await _timed_help(dispatcher, platform, "bob")
    await asyncio.gather(*tasks)
    await services.jobs.idle()

    def seen(user: str) -> str:
        return texts(r for chat, r in platform.sent if chat.chat_id == f"dm-{user}")

    bob, mallory = seen("bob"), seen("mallory")
    assert bob.count("What I can do") == 20  # every reply of the other user arrived
    assert "faster than I can handle" not in bob
    assert mallory.count("faster than I can handle") == 1  # once per window, not 200 times
    assert mallory.count(f"You sent {limit} files in the last 5 minutes") == 1
    read = [r for sent, r in platform.edits
            if sent.chat.chat_id == "dm-mallory" and r.text.startswith("✅")]  # fmt: skip
    assert len(read) == limit  # the accepted files were read, each acknowledged
    assert mallory.count("📦 Archive of @simonw") == 1  # files sent together: one summary
    bound = max(5 * _p95(alone), 0.05)  # 50 ms floor: /help alone takes about a millisecond
    assert _p95(crowded) < bound, (_p95(crowded), _p95(alone))


async def test_the_upload_limit_comes_from_the_settings(services: Services) -> None:
    services.settings = services.settings.model_copy(
        update={"upload_limit": 1, "upload_window_s": 60.0}
    )
    dispatcher = Dispatcher(services, build_registry())
    assert (dispatcher.upload_throttle.limit, dispatcher.upload_throttle.window_s) == (1, 60.0)
