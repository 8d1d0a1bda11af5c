"""Each entry point imports on its own, first, in a fresh interpreter (no import cycles), and
each command imports only what it needs (issue 13: `chatbot summary` answers in ~0.3 s)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conversation.harness import SAMPLES, make_zip

ENTRY_POINTS = [
    "chatbot.services",
    "chatbot.conversation",
    "chatbot.app",
    "chatbot.cli",
    "chatbot.migration.jobs",
    "chatbot.notify",
    "handlers",
]
# the network SDKs, the database layer and the chart library: a command that does not need
# them must not pay their import (atproto's generated client alone takes over a second)
HEAVY = {"atproto", "atproto_client", "mastodon", "sqlalchemy", "alembic", "matplotlib",
         "telegram", "nio", "redis"}  # fmt: skip


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_imports_first(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def _loaded_after(code: str, cwd: Path) -> set[str]:
    """The top-level packages a fresh interpreter holds after running `code`."""
    listing = "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    script = f"{code}\nimport json, sys\n{listing}"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=False, cwd=cwd)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.fixture
def small_zip(tmp_path: Path) -> Path:
    folder = SAMPLES / "milahu-twitter-milahu104-2026"
    names = ("manifest.js", "follower.excerpt.js", "following.excerpt.js", "tweets.excerpt.js",
             "tweet-headers.excerpt.js")  # fmt: skip
    return make_zip(tmp_path / "twitter.zip",
                    {f"data/{n.replace('.excerpt', '')}": folder / n for n in names})  # fmt: skip


def test_the_summary_command_imports_no_sdk_nor_database(small_zip: Path) -> None:
    loaded = _loaded_after(
        f"from chatbot.cli import main; assert main(['summary', {str(small_zip)!r}]) == 0",
        small_zip.parent,
    )
    assert "chatbot" in loaded
    assert not loaded & (HEAVY | {"numpy"}), loaded & (HEAVY | {"numpy"})


def test_offline_match_imports_no_sdk_nor_database(small_zip: Path) -> None:
    args = ["match", "--offline", str(small_zip)]
    code = f"from chatbot.cli import main; assert main({args!r}) == 0"
    assert not _loaded_after(code, small_zip.parent) & HEAVY


def test_the_registry_imports_no_handler() -> None:
    code = (
        "import sys; from handlers import build_registry; registry = build_registry()\n"
        "assert [m for m in sys.modules if m.startswith('handlers.')] == [], sys.modules\n"
        "assert len(list(registry.visible())) > 20"
    )
    assert not _loaded_after(code, Path.cwd()) & HEAVY


def test_an_upload_loads_neither_network_sdk(small_zip: Path, tmp_path: Path) -> None:
    code = f"""
import asyncio
from pathlib import Path
from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.platforms.base import Attachment, ChatRef, IncomingMessage, RecordingPlatform, UserRef
from chatbot.services import Services
from handlers import build_registry

async def upload():
    settings = Settings(_env_file=None, data_dir=Path({str(tmp_path / "data")!r}),
                        matching_offline=True)
    services = await Services.start(settings, processes=False)
    platform = RecordingPlatform(name="telegram")
    chat, user = ChatRef("telegram", "1", is_private=True), UserRef("telegram", "1")
    path = Path({str(small_zip)!r})
    file = Attachment(str(path), path.name, path.stat().st_size)
    await Dispatcher(services, build_registry()).handle(
        platform, IncomingMessage(chat, user, "1", attachment=file))
    await services.jobs.idle()
    assert any("Archive of @milahu104" in text for text in platform.texts()), platform.texts()
    await services.close()

asyncio.run(upload())
"""
    loaded = _loaded_after(code, tmp_path)
    assert not loaded & {"atproto", "atproto_client", "mastodon", "matplotlib", "telegram", "nio"}


def test_the_network_readers_load_their_http_client_on_first_use(tmp_path: Path) -> None:
    code = f"""
import asyncio, sys
from pathlib import Path
from chatbot.config import Settings
from chatbot.services import Services

async def start():
    settings = Settings(_env_file=None, data_dir=Path({str(tmp_path / "data")!r}),
                        matching_offline=False)
    services = await Services.start(settings, processes=False)
    assert services.bluesky is not None and "httpx" not in sys.modules
    services.bluesky.get_profiles  # the first use builds the client
    assert "httpx" in sys.modules
    await services.close()

asyncio.run(start())
"""
    assert "httpx" in _loaded_after(code, tmp_path)
