"""`chatbot summary`: JSON for machines, translated text for people, exit 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conversation.harness import SAMPLES

CHATBOT = Path(sys.executable).with_name("chatbot")
MILAHU = SAMPLES / "milahu-twitter-milahu104-2026"
DOGSHEEP = SAMPLES / "dogsheep-twitter-to-sqlite-2019"


def run(*args: str, lang: str = "C.UTF-8") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHATBOT), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"LANG": lang, "PATH": "/usr/bin:/bin"},
    )


def test_summary_json_of_loose_files() -> None:
    result = run(
        "summary",
        str(DOGSHEEP / "account.js"),
        str(DOGSHEEP / "follower.js"),
        str(DOGSHEEP / "following.js"),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["account"] == {
        "id": "12497",
        "username": "simonw",
        "display_name": "Simon Willison",
        "created_at": "2006-11-15T13:18:50+00:00",
    }
    assert data["counts"]["followers"] == 2 and data["counts"]["following"] == 2
    assert {"tweets", "likes", "blocks", "mutes"} <= set(data["counts"])
    assert set(data["tweets"]) >= {"first", "last"}
    assert data["handles_recovered"] == 0
    assert "5555555555" not in result.stdout and "@example.com" not in result.stdout


def test_summary_json_of_a_2026_archive_with_tweets() -> None:
    result = run(
        "summary",
        str(MILAHU / "manifest.js"),
        str(MILAHU / "tweets.excerpt.js"),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["account"]["username"] == "milahu104"
    assert data["counts"]["tweets"] == 2045
    assert data["tweets"]["first"] < data["tweets"]["last"]
    assert data["handles_recovered"] > 0


def test_text_summary_follows_the_language() -> None:
    french = run("summary", str(DOGSHEEP / "account.js"), "--lang", "fr")
    assert french.returncode == 0, french.stderr
    assert "Archive de @simonw" in french.stdout
    english = run("summary", str(DOGSHEEP / "account.js"), lang="en_GB.UTF-8")
    assert "Archive of @simonw" in english.stdout


def test_bad_input_exits_2_with_one_translated_line(tmp_path: Path) -> None:
    junk = tmp_path / "notes.pdf"
    junk.write_bytes(b"%PDF-1.7\n" + b"x" * 100)
    result = run("summary", str(junk), "--lang", "fr")
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    missing = run("summary", str(tmp_path / "nope.zip"))
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1


def test_a_path_that_does_not_exist_is_not_called_an_archive(tmp_path: Path) -> None:
    """Issue 14 item 13: a typo gets "there is no file", not "not an X archive"."""
    for lang, expected in (("C.UTF-8", "There is no file"), ("fr_FR.UTF-8", "Il n’y a pas")):
        result = run("summary", str(tmp_path / "A.zip"), lang=lang)
        assert result.returncode == 2
        assert expected in result.stderr and "X archive" not in result.stderr


def test_a_closed_pipe_is_no_error() -> None:
    """`chatbot summary A.zip | head -2`: the reader closes the pipe early; no traceback."""
    process = subprocess.Popen(
        [str(CHATBOT), "summary", str(DOGSHEEP / "account.js"), str(DOGSHEEP / "follower.js")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"},
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # before the bot has started: its first write finds no reader
    errors = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0
    assert "Traceback" not in errors and "BrokenPipeError" not in errors


def test_no_names_line_without_posts() -> None:
    """Item 1: follow lists alone: no "I recovered the names of 0 accounts"."""
    result = run("summary", *(str(DOGSHEEP / n) for n in ("account.js", "following.js")))
    assert result.returncode == 0, result.stderr
    assert "@simonw" in result.stdout and "recovered" not in result.stdout
