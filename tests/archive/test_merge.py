"""Loose files sent one after another, merged with merge_archives."""

from __future__ import annotations

import pickle
from pathlib import Path

from chatbot.archive import merge_archives, read_archive

from .conftest import Make, as_read, extract


def test_following_then_follower_then_account(make_archive: Make, tmp_path: Path) -> None:
    gen = make_archive(era="H", tweets=20, seed=50)
    following, follower, account = extract(
        gen, tmp_path, "following.js", "follower.js", "account.js"
    )
    merged = read_archive([following])
    assert merged.era == "loose" and merged.warnings == []
    assert merged.counts.followers is None
    merged = merge_archives(merged, read_archive([follower]))
    merged = merge_archives(merged, read_archive([account]))
    assert list(merged.following) == as_read(gen.following)
    assert list(merged.followers) == as_read(gen.followers)
    assert merged.counts.followers == len(gen.followers)
    assert merged.counts.following == len(gen.following)
    assert merged.owner.account_id == str(gen.owner.id)
    assert merged.files_read == ["following.js", "follower.js", "account.js"]
    pickle.loads(pickle.dumps(merged))


def test_same_part_twice_is_not_counted_twice(make_archive: Make, tmp_path: Path) -> None:
    gen = make_archive(era="H", tweets=40, seed=51)
    follower, tweets = extract(gen, tmp_path, "follower.js", "tweets.js")
    first = read_archive([follower, tweets])
    merged = merge_archives(first, read_archive([follower, tweets]))
    assert merged.counts.followers == len(gen.followers)
    assert list(merged.followers) == as_read(gen.followers)
    assert merged.counts.tweets == first.counts.tweets == gen.tweets_final
    assert merged.tweets_per_year == first.tweets_per_year
    assert sum(merged.tweets_per_year.values()) == gen.tweets_final


def test_part1_then_part0(make_archive: Make, tmp_path: Path) -> None:
    gen = make_archive(era="H", tweets=400, followers=3000, part_size_bytes=150_000, seed=52)
    assert len(gen.follower_parts) >= 2 and len(gen.tweet_parts) >= 2
    part0, part1, tweets0, tweets1 = extract(
        gen, tmp_path, "follower.js", "follower-part1.js", "tweets.js", "tweets-part1.js"
    )
    merged = merge_archives(read_archive([part1, tweets1]), read_archive([part0, tweets0]))
    assert merged.parts["follower"] == {0: gen.follower_parts[0], 1: gen.follower_parts[1]}
    n = gen.follower_parts[0] + gen.follower_parts[1]
    assert merged.counts.followers == n and len(merged.followers) == n
    assert set(merged.followers) == set(gen.followers[:n])
    again = merge_archives(merged, read_archive([part1, tweets1]))
    assert again.counts.followers == n
    assert again.tweets_per_year == merged.tweets_per_year
    assert again.counts.tweets == merged.counts.tweets


def test_different_owner_replaces(make_archive: Make, tmp_path: Path) -> None:
    alice = make_archive(era="H", tweets=5, seed=53)
    other = make_archive(era="H", tweets=5, seed=54)
    first = read_archive([alice.path])
    second = read_archive([other.path])
    merged = merge_archives(first, second)
    assert merged.owner.account_id == str(other.owner.id)
    assert list(merged.followers) == as_read(other.followers)
    assert merged.counts == second.counts


def test_full_archive_after_loose_files(make_archive: Make, tmp_path: Path) -> None:
    gen = make_archive(era="G", tweets=30, seed=55)
    (following,) = extract(gen, tmp_path, "following.js")
    merged = merge_archives(read_archive([following]), read_archive([gen.path]))
    assert merged.era == "manifest"
    assert list(merged.following) == as_read(gen.following)
    assert merged.counts.tweets == gen.tweet_records
    assert merged.first_tweet == gen.first_tweet
