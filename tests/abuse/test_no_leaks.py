"""No DM canary, e-mail, password or key in the logs, the metrics or the database files.

A generated archive full of canaries (private files the reader must never open) goes
through the whole conversation: upload, /match, /connect bluesky with a password against
a closed port (the log-in fails, as expected), /forget. Then every byte the bot wrote to
its data folder (SQLite database and WAL), every log record at DEBUG level (raw, before
any scrubbing) and the ops server's /metrics page are searched for each secret.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from chatbot.config import Settings, default_key_file
from chatbot.conversation import Dispatcher
from chatbot.ops.server import build_ops_app
from chatbot.platforms.base import RecordingPlatform
from chatbot.services import Services
from devtools.archivegen import ArchiveSpec, generate
from devtools.archivegen_private import EMAIL, PHONE
from handlers import build_registry
from tests.conversation.harness import Chat, texts

PASSWORD = "fuzz-app-pass-7q2x-k9vd-3mzw"


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


async def _metrics_text(services: Services) -> str:
    """The ops server's /metrics page, as Prometheus scrapes it."""
    async with TestClient(TestServer(build_ops_app({}, db=services.db))) as client:
        response = await client.get("/metrics")
        assert response.status == 200
        return await response.text()


async def test_secrets_never_reach_logs_metrics_or_the_database(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    closed = _closed_port()
    settings = settings.model_copy(
        update={"bluesky_resolver_url": closed, "bluesky_plc_url": closed}
    )
    gen = generate(ArchiveSpec(era="H", tweets=30, followers=8, following=8, seed=11),
                   tmp_path / "archive.zip")  # fmt: skip
    assert len(gen.canaries) > 10
    caplog.set_level(logging.DEBUG)
    services = await Services.start(settings, processes=False)
    try:
        chat = Chat(Dispatcher(services, build_registry()), RecordingPlatform(name="telegram"))
        assert "follow" in texts(await chat.upload(gen.path)).lower()
        await chat.say("/match")
        await chat.say("/connect bluesky")
        await chat.say(f"{gen.owner.handle}.bsky.social")
        failed = texts(await chat.say(PASSWORD))
        assert PASSWORD not in failed and "Bluesky" in failed, failed
        await chat.say("/forget")
        await chat.press("forget:yes")
        metrics = await _metrics_text(services)
    finally:
        await services.close()
    key = default_key_file().read_bytes().strip()  # outside the data dir (issue 11)
    files = b"".join(p.read_bytes() for p in sorted(settings.data_dir.rglob("*"))
                     if p.is_file())  # fmt: skip
    logs = caplog.text + "".join(str(record.args) for record in caplog.records)
    assert "canary" not in logs.lower() and len(caplog.records) > 10
    assert 'chatbot_messages_total{kind="file",platform="telegram"}' in metrics
    places = {"logs": logs.encode(), "database files": files, "metrics": metrics.encode()}
    secrets = [*gen.canaries, EMAIL, PHONE, PASSWORD, key.decode()]
    for where, content in places.items():
        for secret in secrets:
            assert secret.encode() not in content, f"{secret!r} found in the {where}"
