"""The console conversation as scripted in the README: `printf ... | chatbot console`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conversation.harness import SAMPLES, make_zip

CHATBOT = Path(sys.executable).with_name("chatbot")
DOGSHEEP = SAMPLES / "dogsheep-twitter-to-sqlite-2019"
MILAHU = SAMPLES / "milahu-twitter-milahu104-2026"


def console(script: str, data_dir: Path, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATBOT_")}
    env.pop("DATABASE_URL", None)
    env.update(CHATBOT_DATA_DIR=str(data_dir), CHATBOT_MATCHING_OFFLINE="true", LANG="C.UTF-8",
               XDG_CONFIG_HOME=str(cwd / "config"))  # fmt: skip
    result = subprocess.run(
        [str(CHATBOT), "console"],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return make_zip(
        tmp_path / "a.zip",
        {
            "data/manifest.js": MILAHU / "manifest.js",
            "data/profile.js": MILAHU / "profile.js",
            "data/follower.js": MILAHU / "follower.excerpt.js",
            "data/following.js": MILAHU / "following.excerpt.js",
            "data/tweets.js": MILAHU / "tweets.excerpt.js",
            "data/tweet-headers.js": MILAHU / "tweet-headers.excerpt.js",
        },
    )


def test_the_readme_script_in_french(tmp_path: Path, archive: Path) -> None:
    out = console(f"/lang fr\n/upload {archive}\n", tmp_path / "data", tmp_path)
    assert "je vous parlerai désormais en français" in out
    assert "Archive de @milahu104 (Milan Hauth)" in out
    assert "2\u202f045 publications" in out
    assert "5 abonnés" in out and "5 comptes suivis" in out  # the excerpt files, not the index
    chart = next(line for line in out.splitlines() if line.startswith("[image] "))
    assert Path(chart.split()[1]).read_bytes().startswith(b"\x89PNG")
    assert "j’ai retrouvé le nom de" in out


def test_the_same_script_in_english_and_loose_files_merge(tmp_path: Path) -> None:
    data = tmp_path / "data"
    script = (
        f"/upload {DOGSHEEP / 'following.js'}\n"
        f"/upload {DOGSHEEP / 'follower.js'}\n"
        f"/upload {DOGSHEEP / 'account.js'}\n"
        "/summary\n"
    )
    out = console(script, data, tmp_path)
    last = out.split("Archive of @simonw")[-1]
    assert "@simonw (Simon Willison)" in out
    assert "2 accounts followed" in last and "2 followers" in last
    assert "swillison@example.com" not in out and "+15555555555" not in out
    assert list((data / "uploads").iterdir()) == []


def test_bad_input_is_explained_not_crashed(tmp_path: Path) -> None:
    junk = tmp_path / "photo.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2000))
    out = console(f"/lang fr\n/upload {junk}\n/help\n", tmp_path / "data", tmp_path)
    assert "Ce que je sais faire" in out
    assert "Désolé, quelque chose s’est mal passé" not in out
