"""Everything the bot writes is private whatever the umask: files 0600, folders 0700.

`chatbot console` runs under umask 022 (where a plain open() makes 0644 files) through
an upload, a summary, the exports, an archive with profile pictures (kept for /profile)
and the profile preview; then every path it created, in the data folder and beside the
key, is checked. The SQLite companions (``-wal``, ``-shm``)
are checked while a connection holds them open. Threat model §4.13.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from chatbot.archive import read_archive
from chatbot.private_files import tighten
from chatbot.storage.db import Database
from devtools.archivegen import ArchiveSpec, generate
from tests.e2e.modes import modes, not_private
from tests.profile.archive import picture, profile_archive

CHATBOT = Path(sys.executable).with_name("chatbot")


def test_a_console_run_under_umask_022_creates_only_private_paths(tmp_path: Path) -> None:
    archive = generate(ArchiveSpec(era="H", tweets=30, followers=6, following=6, seed=5),
                       tmp_path / "archive.zip").path  # fmt: skip
    pictures = profile_archive(tmp_path / "profile.zip", avatar=picture(400, 400),
                               banner=picture(1500, 500))  # fmt: skip
    # directory rows for the archive's contacts, so that offline /export has files to write
    # (unchecked guesses are no matches); the console user imports them as a bot admin
    following = sorted(read_archive([archive]).following)[:3]
    rows = "".join(
        f"{x_id},contact{n},contact{n}.example.org,\n" for n, x_id in enumerate(following)
    )
    directory = tmp_path / "directory.csv"
    directory.write_text("x_id,x_username,bluesky,mastodon\n" + rows, encoding="utf-8")
    data, config = tmp_path / "data", tmp_path / "config"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATBOT_")}
    env.pop("DATABASE_URL", None)
    env.update(CHATBOT_DATA_DIR=str(data), CHATBOT_MATCHING_OFFLINE="true", LANG="C.UTF-8",
               XDG_CONFIG_HOME=str(config), USER="tester", LOGNAME="tester",
               CHATBOT_ADMINS="console:tester")  # fmt: skip
    script = (f"/import_directory\n/upload {directory}\n/upload {archive}\n/summary\n"
              f"/export all\n/upload {pictures}\n/profile\n")  # fmt: skip
    done = subprocess.run(
        [str(CHATBOT), "console"], input=script, capture_output=True, text=True, env=env,
        cwd=tmp_path, timeout=180, check=False, umask=0o022,
    )  # fmt: skip
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "[image]" in done.stdout  # the chart was written to console-files
    assert "matches.csv" in done.stdout, done.stdout  # /export wrote its files
    found = modes(data, config)
    names = {path.name for path in found}
    expected = {"chatbot.sqlite3", "uploads", "console-files", "exports", "secret.key"}
    assert expected | {"profiles", "avatar.jpg"} <= names, names
    assert not_private(found) == []
    assert not any(path.name == "secret.key" for path in data.rglob("*"))


async def test_sqlite_and_its_companion_files_are_private_under_umask_022(
    tmp_path: Path,
) -> None:
    previous = os.umask(0o022)
    try:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.sqlite3'}")
        await db.migrate()
        async with db.begin() as conn:  # an open write: the -wal and -shm files exist now
            await conn.execute(text("CREATE TABLE probe (x INTEGER)"))
            await conn.execute(text("INSERT INTO probe VALUES (1)"))
            found = modes(tmp_path / "data")
        await db.close()
    finally:
        os.umask(previous)
    assert {p.name for p in found} >= {"bot.sqlite3", "bot.sqlite3-wal", "bot.sqlite3-shm"}
    assert not_private(found) == []


@pytest.mark.parametrize("name", ["chatbot.sqlite3", "uploads", "telegram-webhook.secret"])
def test_an_earlier_version_s_lax_modes_are_repaired_at_start(tmp_path: Path, name: str) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    target = data / name
    if "." in name:
        target.write_bytes(b"x")
        target.chmod(0o644)
    else:
        (target / "inner").mkdir(parents=True)
        (target / "inner").chmod(0o755)
        (target / "inner" / "file").write_bytes(b"x")
        (target / "inner" / "file").chmod(0o664)
    mine = data / "operator-notes.txt"  # not the bot's: left alone
    mine.write_bytes(b"x")
    mine.chmod(0o644)
    assert tighten(data) >= 2
    found = modes(data)
    del found[mine]
    assert not_private(found) == []
    assert stat.S_IMODE(mine.stat().st_mode) == 0o644
