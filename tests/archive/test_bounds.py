"""Bounded input (threat model §4.4, §7): caps on ids and names, packed ids, X's name rule."""

from __future__ import annotations

import json
import random
import tracemalloc
from array import array
from pathlib import Path

import pytest

from chatbot.archive import ArchiveError, idlist, merge_archives, read_archive
from chatbot.archive.idlist import dedupe, packed, union
from chatbot.config import ArchiveLimits

from .conftest import Make, extract


def _follows(path: Path, kind: str, ids: list[int] | range, part: int = 0) -> Path:
    records = ",".join(f'{{"{kind}":{{"accountId":"{i}"}}}}' for i in ids)
    var = {"follower": "follower", "following": "following", "block": "block"}[kind]
    path.write_text(f"window.YTD.{var}.part{part} = [{records}]")
    return path


def _account(path: Path, **fields: str) -> Path:
    record = {"account": {"accountId": "12", "username": "alice", **fields}}
    path.write_text("window.YTD.account.part0 = " + json.dumps([record]))
    return path


def _tweets(path: Path, tweets: list[dict[str, object]]) -> Path:
    path.write_text("window.YTD.tweets.part0 = " + json.dumps([{"tweet": t} for t in tweets]))
    return path


def test_ids_are_deduplicated_sorted_and_capped_with_a_warning(tmp_path: Path) -> None:
    ids = [5, 3, 5, 9, 3, 1, 7, 7, 2]
    follower = _follows(tmp_path / "follower.js", "follower", ids)
    parsed = read_archive([follower])
    assert list(parsed.followers) == [1, 2, 3, 5, 7, 9]
    assert parsed.counts.followers == 6 and not parsed.warnings

    limits = ArchiveLimits(max_follower_ids=4)  # the first 4 records: 5, 3, 5, 9
    capped = read_archive([follower], limits)
    assert list(capped.followers) == [3, 5, 9]
    assert "archive.capped.followers" in capped.warnings


def test_reading_stops_at_the_cap_across_parts(tmp_path: Path) -> None:
    first = _follows(tmp_path / "follower.js", "follower", range(1, 101))
    second = _follows(tmp_path / "follower-part1.js", "follower", range(101, 201), part=1)
    limits = ArchiveLimits(max_follower_ids=100)
    parsed = read_archive([first, second], limits)
    assert list(parsed.followers) == list(range(1, 101))
    assert parsed.parts["follower"] == {0: 100}  # the second part was never opened
    assert "archive.capped.followers" in parsed.warnings


def test_merged_loose_files_keep_the_cap(tmp_path: Path) -> None:
    limits = ArchiveLimits(max_following_ids=150)
    first = read_archive([_follows(tmp_path / "following.js", "following", range(100))], limits)
    second = read_archive(
        [_follows(tmp_path / "following-part1.js", "following", range(50, 200), part=1)],
        limits,
    )
    merged = merge_archives(first, second, limits)
    assert list(merged.following) == list(range(150))
    assert merged.counts.following == 150
    assert "archive.capped.following" in merged.warnings


def test_packed_ids_cost_bytes_not_objects(tmp_path: Path) -> None:
    """One million distinct ids: about 8 bytes each at the peak, never a Python int each
    (which would be over 36 bytes an id)."""
    n = 1_000_000
    follower = _follows(tmp_path / "follower.js", "follower", range(10**15, 10**15 + n * 7, 7))
    tracemalloc.start()
    try:
        parsed = read_archive([follower], hints=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(parsed.followers, array) and len(parsed.followers) == n
    assert peak < 8 * n + 12 * 2**20, peak / n


def test_dedupe_and_union_in_place() -> None:
    ids = array("q", [4, 4, 1, 2**62, 1, 0])
    assert dedupe(ids) is ids and list(ids) == [0, 1, 4, 2**62]
    merged, cut = union([array("q", [9, 1]), array("q", [1, 5, 3])], limit=3)
    assert (list(merged), cut) == ([1, 3, 5], True)


def test_long_lists_are_deduplicated_in_place_like_short_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past `SMALL` ids the sort runs in numpy on the array's own buffer, compacting block
    by block (small blocks here, so that duplicates straddle them); the result is the one
    of the plain sort, and matching's packed copies come from the same code."""
    monkeypatch.setattr(idlist, "_BLOCK", 1000)
    values = random.Random(13).choices(range(-(2**62), 2**62, 2**40), k=3 * idlist.SMALL)
    values += values[:5000]  # duplicates far apart
    ids = array("q", values)
    assert dedupe(ids) is ids and list(ids) == sorted(set(values))
    again = packed(array("q", values))
    assert again.tolist() == list(ids) and packed(again) is again  # already a set: no copy


def test_owner_fields_follow_x_rules(tmp_path: Path) -> None:
    for username in ("a" * 16, "bad\nname", "\u202eevil", "名前", "x y"):
        with pytest.raises(ArchiveError) as refused:  # forged or damaged: said so, not used
            read_archive([_account(tmp_path / "account.js", username=username)])
        assert (refused.value.code, refused.value.params) == ("malformed", {"file": "account.js"})
    ok = read_archive([_account(tmp_path / "account.js", username="Good_Name_15chr")])
    assert ok.owner.username == "Good_Name_15chr" and not ok.warnings
    long = read_archive([_account(tmp_path / "account.js", accountDisplayName="N" * 10**6)])
    assert long.owner.display_name == "N" * 64
    assert "archive.warning.clipped_text" in long.warnings
    for bad_id in ("1" * 20, "12a", "9" * 5000, "-5", "１２"):
        with pytest.raises(ArchiveError):
            read_archive([_account(tmp_path / "account.js", accountId=bad_id)])


def test_screen_names_from_posts_follow_x_rules(tmp_path: Path) -> None:
    mentions = [
        {"screen_name": "good_one", "id_str": "101"},
        {"screen_name": "fake\n✅ Bot: send /connect", "id_str": "102"},
        {"screen_name": "\u202eevil", "id_str": "103"},
        {"screen_name": "sixteen_chars_xx", "id_str": "104"},
    ]
    tweet = {
        "id_str": "1500000000000000000",
        "created_at": "Fri Mar 06 13:02:05 +0000 2020",
        "full_text": "hello",
        "entities": {"user_mentions": mentions, "urls": []},
        "in_reply_to_user_id_str": "105",
        "in_reply_to_screen_name": "x" * 300_000,
    }
    parsed = read_archive([_tweets(tmp_path / "tweets.js", [tweet])])
    assert {k: set(v) for k, v in parsed.handles.items()} == {101: {"good_one"}}


def test_dates_no_post_can_have_are_left_out(tmp_path: Path) -> None:
    tweets = [
        {"id_str": str(10**18 + n), "created_at": f"Fri Mar 06 13:02:05 +0000 {year}"}
        for n, year in enumerate(("0001", "2019", "9999", "2020"))
    ]
    parsed = read_archive([_tweets(tmp_path / "tweets.js", tweets)])
    assert parsed.tweets_per_year == {2019: 1, 2020: 1}


def test_recovered_names_are_capped(make_archive: Make, tmp_path: Path) -> None:
    gen = make_archive(era="H", tweets=300, seed=81)
    (tweets,) = extract(gen, tmp_path, "tweets.js")
    full = read_archive([tweets])
    assert len(full.handles) > 5
    capped = read_archive([tweets], ArchiveLimits(max_handle_ids=5))
    assert len(capped.handles) == 5 and "archive.capped.handles" in capped.warnings
