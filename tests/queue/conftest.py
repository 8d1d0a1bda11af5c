"""Fixtures of the scale-out tests: a fresh PostgreSQL database, the real Redis."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest

from tests.conftest import POSTGRES_URL, _admin_connection


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database on the real server (dropped afterwards)."""
    name = "chatbot_scale_" + secrets.token_hex(6)
    admin = await _admin_connection()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = POSTGRES_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    admin = await _admin_connection()
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
