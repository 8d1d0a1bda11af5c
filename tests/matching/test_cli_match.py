"""`chatbot match`: JSON objects with translated reasons, offline and (stand-in) online."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chatbot.cli import main
from chatbot.matching import cli as match_cli
from chatbot.networks.types import BlueskyProfile
from devtools.memnet import MemoryBluesky, MemoryMastodon

FOLLOWING = """window.YTD.following.part0 = [
  {"following": {"accountId": "1001", "userLink": "https://twitter.com/intent/user?user_id=1001"}},
  {"following": {"accountId": "1002", "userLink": "https://twitter.com/intent/user?user_id=1002"}}
]"""
FOLLOWER = """window.YTD.follower.part0 = [
  {"follower": {"accountId": "1003", "userLink": "https://twitter.com/intent/user?user_id=1003"}}
]"""
TWEETS = """window.YTD.tweets.part0 = [{"tweet": {"id_str": "5", "id": "5",
  "created_at": "Mon Jan 06 10:00:00 +0000 2020", "full_text": "hi @carol_x",
  "entities": {"user_mentions": [{"screen_name": "carol_x", "name": "Carol",
  "id_str": "1002", "id": "1002", "indices": ["3", "11"]}],
  "hashtags": [], "urls": [], "symbols": []}}}]"""
CSV = (
    "x_id,x_username,bluesky,mastodon\n1001,dan,did:plc:dan,\n1003,erin,,erin@piaille.fr\nbad,,,\n"
)


@pytest.fixture
def files(tmp_path: Path) -> list[str]:
    paths = []
    for name, text in [
        ("following.js", FOLLOWING),
        ("follower.js", FOLLOWER),
        ("tweets.js", TWEETS),
    ]:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    (tmp_path / "dir.csv").write_text(CSV, encoding="utf-8")
    return paths


def test_offline_json_in_french(files: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    csv = str(Path(files[0]).with_name("dir.csv"))
    code = main(["match", *files, "--directory", csv, "--offline", "--json", "--lang", "fr"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "ligne 4" in out.err  # the bad CSV row is reported, in French
    data = json.loads(out.out)
    by_id = {(d["x_id"], d["network"]): d for d in data}
    # the directory's rows only: carol_x's guessed handle was never checked, not a match
    assert set(by_id) == {("1001", "bluesky"), ("1003", "mastodon")}
    dan = by_id[("1001", "bluesky")]
    assert set(dan) >= {"x_id", "x_username", "network", "handle", "did", "tier", "reasons"}
    assert dan["did"] == "did:plc:dan" and dan["tier"] == "possible"
    assert dan["reasons"][0]["code"] == "directory_claimed"
    assert dan["reasons"][0]["text"].startswith("Revendiqué, non prouvé")
    assert not any(d["eligible_for_auto_follow"] for d in data)
    assert "carol" not in out.out


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_offline_text_lists_unchecked_guesses_apart(
    files: list[str], capsys: pytest.CaptureFixture[str], lang: str
) -> None:
    csv = str(Path(files[0]).with_name("dir.csv"))
    assert main(["match", *files, "--directory", csv, "--offline", "--lang", lang]) == 0
    out = capsys.readouterr().out
    matches, _, unchecked = out.partition("\n\n")
    assert ("2 matches" if lang == "en" else "2 correspondances") in matches
    assert "carol" not in matches  # the guess is no match...
    lines = unchecked.splitlines()  # ...but listed apart, plainly as unchecked
    if lang == "en":
        assert lines[0].startswith("Not checked: 1 handle guessed from an X name.")
        assert lines[1] == "  ? X @carol_x → carol-x.bsky.social (not checked)"
    else:
        assert lines[0].startswith("Non vérifié : 1 pseudo deviné d’après un nom X.")
        assert lines[1] == "  ? X @carol_x → carol-x.bsky.social (non vérifié)"
    assert len(lines) == 2


def test_online_text_output(
    files: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    carol = BlueskyProfile("did:plc:carol", "carol-x.bsky.social", "Carol", "x.com/carol_x")

    def readers(appview: str, instance: str) -> tuple[Any, Any]:
        return MemoryBluesky([carol]), MemoryMastodon()

    monkeypatch.setattr(match_cli, "_readers", readers)
    assert main(["match", *files, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "1 match" in out
    assert "[likely] Bluesky: X @carol_x → carol-x.bsky.social (you followed them)" in out
    assert "its bio links to the X account @carol_x" in out


def test_online_without_network_clients_says_so(
    files: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(appview: str, instance: str) -> tuple[Any, Any]:
        raise ImportError("chatbot.networks.bluesky")

    monkeypatch.setattr(match_cli, "_readers", missing)
    assert main(["match", *files, "--lang", "en"]) == 2
    assert "--offline" in capsys.readouterr().err
