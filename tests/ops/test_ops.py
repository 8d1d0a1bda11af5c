"""The ops endpoints over real HTTP on SQLite, and the JSON logs without personal data."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.migration.store import JobStore, LogEntry
from chatbot.ops.logs import JsonFormatter, ScrubFilter, scrub
from chatbot.ops.server import default_checks, flag_check, start_ops_server
from chatbot.platforms.base import RecordingPlatform
from chatbot.services import Services
from handlers import build_registry
from tests.conversation.harness import Chat
from tests.servers.process import free_port


def closed_port() -> int:
    return free_port()  # bound a moment ago, nobody listens there now


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    services = await Services.start(settings, processes=False)
    yield services
    await services.close()


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of the Prometheus text `text`, or None when absent."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    series = f"{name}{{{wanted}}}" if labels else name
    found = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    return float(found[1]) if found else None


async def test_health_readiness_and_metrics(settings: Settings, services: Services) -> None:
    settings.ops_port = free_port()
    started = asyncio.Event()
    checks = default_checks(settings, services.db)
    checks["platforms"] = flag_check(started, "platforms")
    runner = await start_ops_server(settings, checks, db=services.db)
    assert runner is not None
    root = f"http://127.0.0.1:{settings.ops_port}"
    try:
        async with httpx.AsyncClient(base_url=root) as http:
            assert (await http.get("/healthz")).status_code == 200
            not_yet = await http.get("/readyz")
            assert not_yet.status_code == 503
            assert not_yet.json()["failed"] == ["platforms"]
            started.set()
            ready = await http.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json() == {"ready": True, "checks": {"database": "ok", "platforms": "ok"}}

            before = (await http.get("/metrics")).text
            for name in ("chatbot_jobs_queued", "chatbot_jobs_running", "chatbot_follows_total",
                         "chatbot_jobs_failed_total", "chatbot_posts_imported_total",
                         "chatbot_archive_parse_seconds", "chatbot_messages_total",
                         "chatbot_handler_errors_total", "chatbot_reply_seconds"):  # fmt: skip
                assert f"# TYPE {name} " in before, name
            platform = RecordingPlatform(name="opstest")
            chat = Chat(Dispatcher(services, build_registry()), platform, user="ops-user")
            await chat.say("/help")
            await chat.say("hello")
            user = await services.users.get_or_create("opstest", "ops-user")
            store = JobStore(services.db)
            job = await store.create(user.id, "follow_mastodon", {}, total=3)
            await store.record(job, [LogEntry("a", "followed"), LogEntry("b", "followed")], {})

            after = (await http.get("/metrics")).text
            labels = {"platform": "opstest"}
            assert metric(after, "chatbot_messages_total", kind="command", **labels) == 1
            assert metric(after, "chatbot_messages_total", kind="text", **labels) == 1
            assert metric(after, "chatbot_reply_seconds_count", **labels) == 2
            assert metric(after, "chatbot_jobs_queued", kind="follow_mastodon") == 1
            follows_before = metric(before, "chatbot_follows_total", network="mastodon") or 0
            follows = metric(after, "chatbot_follows_total", network="mastodon")
            assert follows == follows_before + 2
    finally:
        await runner.cleanup()


async def test_readiness_fails_when_the_database_is_closed(
    settings: Settings, services: Services
) -> None:
    settings.ops_port = free_port()
    runner = await start_ops_server(settings, default_checks(settings, services.db))
    assert runner is not None
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.ops_port}") as http:
            assert (await http.get("/readyz")).status_code == 200
            await services.db.close()
            answer = await http.get("/readyz")
            assert answer.status_code == 503
            assert answer.json()["failed"] == ["database"]
            assert (await http.get("/healthz")).status_code == 200  # alive all the same
    finally:
        await runner.cleanup()


async def test_readiness_fails_when_redis_does_not_answer(
    settings: Settings, services: Services
) -> None:
    settings.ops_port = free_port()
    settings.redis_url = f"redis://127.0.0.1:{closed_port()}/0"
    runner = await start_ops_server(settings, default_checks(settings, services.db))
    assert runner is not None
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.ops_port}") as http:
            answer = await http.get("/readyz")
        assert answer.status_code == 503
        body = answer.json()
        assert body["failed"] == ["redis"]
        assert body["checks"] == {"database": "ok", "redis": "ConnectionError"}
    finally:
        await runner.cleanup()


async def test_readiness_pings_the_real_redis(
    settings: Settings, services: Services, redis_url: str
) -> None:
    settings.ops_port = free_port()
    settings.redis_url = redis_url
    runner = await start_ops_server(settings, default_checks(settings, services.db))
    assert runner is not None
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.ops_port}") as http:
            answer = await http.get("/readyz")
        assert answer.status_code == 200, answer.text
        assert answer.json()["checks"]["redis"] == "ok"
    finally:
        await runner.cleanup()


def test_ops_server_is_off_without_a_port(settings: Settings) -> None:
    assert settings.ops_port is None
    assert asyncio.run(start_ops_server(settings, {})) is None


PERSONAL = (
    "user ann.smith+x@example.org from 203.0.113.42 and 2001:db8::1 phoned +33 6 12 34 56 78, "
    "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkaWQ6cGxjOmFiYyJ9.c2lnbmF0dXJl, "
    "Authorization: Bearer abc.DEF-123_xyz, app password abcd-efgh-ijkl-mnop"
)


def test_json_lines_without_personal_data() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ScrubFilter())
    logger = logging.getLogger("tests.ops.child")  # a child: the handler's filter still runs
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(
            "login of %s failed at 12:34:56 for did:plc:ewvi7nxzyoun6zhxrhs64oiz",
            PERSONAL,
            extra={
                "event": "login",
                "platform": "telegram",
                "job_id": 7,
                "duration_ms": 12.5,
                "note": "mail bob@example.com",
            },
        )
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue()
    assert line.count("\n") == 1
    entry = json.loads(line)
    assert set(entry) >= {"time", "level", "logger", "message", "event", "platform", "job_id"}
    assert entry["level"] == "WARNING" and entry["logger"] == "tests.ops.child"
    assert entry["job_id"] == 7 and entry["duration_ms"] == 12.5 and entry["event"] == "login"
    for secret in ("ann.smith", "example.org", "203.0.113.42", "2001:db8::1", "12 34 56",
                   "eyJhbGci", "abc.DEF-123_xyz", "abcd-efgh", "bob@example.com"):  # fmt: skip
        assert secret not in line, secret
    message = entry["message"]
    for placeholder in ("[email]", "[ip]", "[phone]", "[token]", "[app-password]"):
        assert placeholder in message, placeholder
    assert "did:plc:ewvi7nxzyoun6zhxrhs64oiz" in message  # public identifiers stay
    assert "12:34:56" in message  # a time is not an IPv6 address


def test_scrub_keeps_ordinary_text() -> None:
    text = "job 42 done in 1534 ms on 2026-11-24, 7 follows, version 3.11.7"
    assert scrub(text) == text
    assert scrub("call 06 12 34 56 78") == "call [phone]"
    assert scrub("chat -1001234567890") == "chat -[phone]"
