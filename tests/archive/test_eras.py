"""Every archive generation (eras A..H of the spec) read end to end against the generator."""

from __future__ import annotations

import datetime as dt

import pytest

from chatbot.archive import read_archive
from chatbot.archive.names import ALLOWED_TYPES, CLASSIC_FILES, classic_month, parse_data_name

from .conftest import Make, as_read

ERAS = ["A", "B", "B2", "C", "D", "E", "F", "G", "H"]
EXPECTED_ERA = {"A": "classic", "B": "gdpr-root", "B2": "gdpr-root", "C": "gdpr-root"}


def _allowed(name: str) -> bool:
    rel = name.split("data/", 1)[-1] if "data/js/" not in name else name[name.index("data/js") :]
    if rel in CLASSIC_FILES or classic_month(rel) is not None:
        return True
    parsed = parse_data_name(rel.rpartition("/")[2])
    return parsed is not None and parsed.type in ALLOWED_TYPES


@pytest.mark.parametrize("era", ERAS)
def test_era_read_with_hints(make_archive: Make, era: str) -> None:
    gen = make_archive(era=era, tweets=60, seed=3)
    parsed = read_archive([gen.path])
    assert parsed.era == EXPECTED_ERA.get(era, "manifest")
    assert parsed.owner.account_id == str(gen.owner.id)
    assert parsed.owner.username == gen.owner.handle
    assert parsed.owner.display_name == gen.owner.name
    assert all(_allowed(name) for name in parsed.files_read), parsed.files_read
    assert {u: set(c) for u, c in parsed.handles.items()} == gen.handles
    if era == "A":
        assert parsed.warnings == ["archive.warning.classic_no_follows"]
        assert parsed.counts.tweets == gen.tweets_final
        assert parsed.tweets_per_year == dict(sorted(gen.years_final.items()))
        assert len(parsed.following) == len(parsed.followers) == 0
        assert parsed.first_tweet is not None and parsed.last_tweet is not None
        return
    assert parsed.warnings == []
    assert parsed.owner.created_at == gen.owner_created
    assert parsed.owner.previous_usernames == [f"OldAlice{gen.spec.seed}"]
    assert list(parsed.following) == as_read(gen.following)
    assert list(parsed.followers) == as_read(gen.followers)
    assert list(parsed.blocked) == as_read(gen.blocked)
    assert list(parsed.muted) == as_read(gen.muted)
    counts = parsed.counts
    assert (counts.followers, counts.following) == (len(gen.followers), len(gen.following))
    assert (counts.blocks, counts.mutes) == (len(gen.blocked), len(gen.muted))
    assert (counts.likes, counts.lists) == (gen.likes, gen.lists)
    manifest = parsed.era == "manifest"
    assert counts.tweets == (gen.tweet_records if manifest else gen.tweets_final)
    assert parsed.first_tweet == gen.first_tweet
    assert parsed.last_tweet == gen.last_tweet
    headers = era in "FGH"
    years = gen.years_records if headers else gen.years_final
    assert parsed.tweets_per_year == dict(sorted(years.items()))
    assert set(parsed.handles_without_id) == gen.handles_without_id
    assert parsed.profile.location == "Lisbon, Portugal"
    assert parsed.generated_at == (
        gen.generated_at.replace(microsecond=187000) if manifest else None
    )


@pytest.mark.parametrize("era", ERAS)
def test_era_summary_without_hints(make_archive: Make, era: str) -> None:
    gen = make_archive(era=era, tweets=60, seed=3)
    parsed = read_archive([gen.path], hints=False)
    assert parsed.handles == {} and not parsed.handles_without_id
    if era == "A":
        assert parsed.counts.tweets == gen.tweets_final
        return
    assert list(parsed.followers) == as_read(gen.followers)
    assert parsed.counts.tweets == gen.tweet_records
    tweet_files = [n for n in parsed.files_read if "tweet.js" in n or "tweets.js" in n]
    if era in "DEFGH":  # the manifest counts suffice: tweets.js is not opened
        assert tweet_files == []
    if era in "DE":  # no tweet-headers.js: dates wait for the hints phase
        assert parsed.first_tweet is None and parsed.tweets_per_year == {}
    else:
        assert parsed.first_tweet == gen.first_tweet
        assert sum(parsed.tweets_per_year.values()) == gen.tweet_records


def test_small_pre_snowflake_ids_and_dates(make_archive: Make) -> None:
    gen = make_archive(era="H", tweets=300, seed=5)
    parsed = read_archive([gen.path])
    assert parsed.first_tweet is not None
    assert parsed.first_tweet < dt.datetime(2010, 11, 4, tzinfo=dt.UTC)  # a small-id tweet
    assert parsed.first_tweet == gen.first_tweet
