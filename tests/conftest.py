"""Shared fixtures: settings in a temporary data dir, databases (SQLite and a real PostgreSQL)."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from chatbot.config import Settings
from chatbot.storage.db import Database

POSTGRES_URL = os.environ.get(
    "CHATBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("CHATBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def server_unavailable(reason: str) -> None:
    """Fail on CI (tests that need a server never skip there); skip locally, saying why."""
    if ON_CI:
        pytest.fail(f"required server unavailable on CI: {reason}")
    pytest.skip(f"server unavailable: {reason}")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def settings(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in list(os.environ):
        if name.startswith("CHATBOT_") and not name.startswith("CHATBOT_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    # the generated secret key lives outside the data dir: in this test's own config dir
    monkeypatch.setenv("XDG_CONFIG_HOME", str(data_dir.parent / "config"))
    # upload_batch_s=0: each upload gets its summary as soon as it is read (the batching
    # tests set their own wait)
    return Settings(_env_file=None, data_dir=data_dir, matching_offline=True,  # type: ignore[call-arg]
                    upload_batch_s=0)  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, data_dir: Path) -> AsyncIterator[Database]:
    """Each storage test runs on SQLite and on a real PostgreSQL, freshly migrated."""
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{data_dir / 'test.sqlite3'}")
        await db.migrate()
        yield db
        await db.close()
        return
    name = "chatbot_test_" + secrets.token_hex(6)
    admin = await _admin_connection()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = POSTGRES_URL.split("://", 1)[1].rsplit("/", 1)[0]
    db = Database(f"postgresql+asyncpg://{base}/{name}")
    try:
        await db.migrate()
        yield db
    finally:
        await db.close()
        admin = await _admin_connection()
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """The real Redis (scripts/services starts it), on a database emptied for each test."""
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(REDIS_URL)
    try:
        await client.flushdb()
    except (OSError, RedisError) as exc:
        await client.aclose()
        server_unavailable(f"Redis at {REDIS_URL}: {exc}")
    yield REDIS_URL
    await client.flushdb()
    await client.aclose()


async def _admin_connection() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(POSTGRES_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        server_unavailable(f"PostgreSQL at {POSTGRES_URL}: {exc}")
        raise
