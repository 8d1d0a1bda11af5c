"""Record keys: atproto TIDs and the deterministic key of an imported tweet's post."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatbot.posts.tid import TID_RE, parse_tid, tid, tweet_rkey

MICROS = st.integers(min_value=0, max_value=(1 << 53) - 1)
CLOCKS = st.integers(min_value=0, max_value=1023)
SNOWFLAKE = 1_767_000_000_000_000_000  # a tweet id of 2024


def test_known_vector() -> None:
    # From @atcute/tid's documentation: "3l25zusnsfctk" is 1724171495793000 µs, clock 816.
    assert tid(1724171495793000, 816) == "3l25zusnsfctk"
    assert parse_tid("3l25zusnsfctk") == (1724171495793000, 816)


def test_zero_and_max() -> None:
    assert tid(0) == "2222222222222"
    assert tid((1 << 53) - 1, 1023) == "bzzzzzzzzzzzz"  # 63 bits set


@given(MICROS, CLOCKS)
def test_round_trip(micros: int, clock_id: int) -> None:
    value = tid(micros, clock_id)
    assert len(value) == 13
    assert value[0] in "234567abcdefghij"
    assert TID_RE.match(value)
    assert parse_tid(value) == (micros, clock_id)


@given(MICROS, CLOCKS, MICROS, CLOCKS)
def test_sortable(micros_a: int, clock_a: int, micros_b: int, clock_b: int) -> None:
    a, b = tid(micros_a, clock_a), tid(micros_b, clock_b)
    assert (a < b) == ((micros_a, clock_a) < (micros_b, clock_b))


@pytest.mark.parametrize(("micros", "clock_id"), [(-1, 0), (1 << 53, 0), (0, -1), (0, 1024)])
def test_out_of_range(micros: int, clock_id: int) -> None:
    with pytest.raises(ValueError):
        tid(micros, clock_id)


@pytest.mark.parametrize(
    "value",
    ["", "3l25zusnsfct", "3l25zusnsfctkk", "kl25zusnsfctk", "3L25ZUSNSFCTK", "3l25zusnsfct1"],
)
def test_parse_rejects(value: str) -> None:
    with pytest.raises(ValueError):
        parse_tid(value)


def test_rkey_from_snowflake() -> None:
    key = tweet_rkey(SNOWFLAKE, None, 0)
    micros, clock_id = parse_tid(key)
    assert micros == ((SNOWFLAKE >> 22) + 1288834974657) * 1000 + SNOWFLAKE % 1000
    assert clock_id == 0
    when = dt.datetime.fromtimestamp(micros / 1_000_000, dt.UTC)
    assert when.year == 2024


def test_rkey_is_deterministic_per_part() -> None:
    created = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    keys = [tweet_rkey(SNOWFLAKE, created, part) for part in range(3)]
    assert keys == [tweet_rkey(SNOWFLAKE, created, part) for part in range(3)]
    assert keys == sorted(keys)
    assert len(set(keys)) == 3
    assert tweet_rkey(SNOWFLAKE + 1, created, 0) != keys[0]


def test_rkey_follows_tweet_order() -> None:
    later = SNOWFLAKE + (1000 << 22)  # one second later
    assert tweet_rkey(SNOWFLAKE, None, 5) < tweet_rkey(later, None, 0)


def test_rkey_of_old_sequential_id_uses_created_at() -> None:
    created = dt.datetime(2008, 3, 1, 12, 30, 15, 250000, tzinfo=dt.UTC)
    micros, clock_id = parse_tid(tweet_rkey(753_123, created, 2))
    assert micros == int(created.timestamp()) * 1_000_000 + 250_000 + 123
    assert clock_id == 2
    naive = created.replace(tzinfo=None)
    assert tweet_rkey(753_123, naive, 2) == tweet_rkey(753_123, created, 2)


def test_rkey_errors() -> None:
    with pytest.raises(ValueError):
        tweet_rkey(SNOWFLAKE, None, 1024)
    with pytest.raises(ValueError):
        tweet_rkey(SNOWFLAKE, None, -1)
    with pytest.raises(ValueError):
        tweet_rkey(12345, None, 0)
