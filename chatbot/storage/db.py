"""The database handle: an async engine, schema migrations, and the stores built on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from chatbot.private_files import private_dir, private_file

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 7_151_001  # advisory lock keys (`transaction_lock`)
OBSERVATIONS_LOCK = 7_151_002


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration that needs no ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


class Database:
    """One async engine for the process. `begin()` yields a connection in a transaction."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.closed = False  # set by close(): readiness then fails (chatbot.ops)
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            path = url.split("///", 1)[-1].split("?", 1)[0]
            if path and path != ":memory:":
                private_sqlite(Path(path))
            kwargs["poolclass"] = NullPool
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
            kwargs["pool_size"] = 5
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)

    async def migrate(self) -> None:
        """Bring the schema to the newest migration.

        On PostgreSQL several processes may start at once (front ends and workers): an
        advisory lock, held until this transaction ends, lets one migrate while the others
        wait, then find the schema current. Without it they all create the same tables.
        """
        async with self.engine.begin() as conn:
            await transaction_lock(conn, MIGRATION_LOCK)
            await conn.run_sync(_upgrade)

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.begin() as conn:
            yield conn

    async def close(self) -> None:
        self.closed = True
        await self.engine.dispose()


async def transaction_lock(conn: AsyncConnection, key: int) -> None:
    """Wait for the lock `key`, held until the transaction of `conn` ends, so that writers
    of the same rows in other processes take turns. PostgreSQL only: SQLite has one writer."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def private_sqlite(path: Path) -> None:
    """The database file 0600 in a 0700 folder before SQLite opens it: SQLite gives its
    ``-wal``, ``-shm`` and ``-journal`` files the database file's own mode."""
    if not path.parent.exists():  # an existing folder is the operator's to set
        private_dir(path.parent)
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            private_file(companion)


def _upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
