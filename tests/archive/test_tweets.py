"""Lazy tweets for the import: long posts, edits, circles, communities, media files."""

from __future__ import annotations

import zipfile
from pathlib import Path

from chatbot.archive import TweetMedia, open_archive, read_archive
from chatbot.archive.tweets import parse_date, snowflake_ms, unescape

from .conftest import Make, extract

MAGIC = (b"\xff\xd8", b"\x89PNG", b"\x00\x00\x00\x18ftyp")


def test_tweets_of_era_g(make_archive: Make) -> None:
    gen = make_archive(
        era="G",
        tweets=120,
        notes=3,
        circle=2,
        community=2,
        seed=60,
        edited_ratio=0.2,
        media_ratio=0.4,
    )
    with open_archive([gen.path]) as source:
        tweets = list(source.iter_tweets())
    own = [t for t in tweets if not t.community]
    assert len(own) == gen.tweets_final  # earlier versions of edited tweets are skipped
    assert len({t.id for t in own}) == len(own)
    assert sum(t.community for t in tweets) == 2
    by_id = {t.id: t for t in tweets}
    assert gen.note_ids
    for note_id in gen.note_ids:
        tweet = by_id[note_id]
        assert tweet.from_note and tweet.text.endswith("The end.") and "R&D" in tweet.text
    assert {t.id for t in tweets if t.circle} == set(gen.circle_ids)
    for tweet in tweets:
        assert "&amp;" not in tweet.text and "&lt;" not in tweet.text
        assert tweet.is_retweet == tweet.text.startswith("RT @")
        if tweet.reply_to_user_id == gen.owner.id:
            assert not tweet.is_reply_to_other
        assert tweet.created_at is not None


def test_media_files_open(make_archive: Make) -> None:
    gen = make_archive(era="H", tweets=120, media_ratio=0.6, png_mismatch_ratio=0.3, seed=61)
    opened = 0
    with open_archive([gen.path]) as source:
        for tweet in source.iter_tweets():
            for media in tweet.media:
                handle = source.open_media(tweet.id, media)
                assert handle is not None, (tweet.id, media.file_key)
                with handle:
                    assert handle.read(16).startswith(MAGIC)
                opened += 1
        files_read = list(source.files_read)
    assert opened >= 30
    assert not any("tweets_media" in name for name in files_read)


def test_missing_media_and_glob_fallback(make_archive: Make) -> None:
    gen = make_archive(era="F", tweets=150, media_ratio=0.6, missing_media_ratio=0.3, seed=62)
    found = missing = 0
    with open_archive([gen.path]) as source:
        for tweet in source.iter_tweets():
            for media in tweet.media:
                handle = source.open_media(tweet.id, media)
                if handle is None:
                    missing += 1
                else:
                    handle.close()
                    found += 1
            if tweet.media and source.open_media(tweet.id, tweet.media[0]) is not None:
                odd = TweetMedia("1", tweet.media[0].type, "", "renamed-by-user.bin")
                assert source.open_media(tweet.id, odd) is not None  # <id>-* fallback
        assert source.open_media(1, TweetMedia("1", "photo", "", "nothing.jpg")) is None
    assert found and missing


def test_loose_files_have_no_media(make_archive: Make, tmp_path: Path) -> None:
    gen = make_archive(era="H", tweets=60, media_ratio=0.8, seed=63)
    (tweets_js,) = extract(gen, tmp_path, "tweets.js")
    with open_archive([tweets_js]) as source:
        media = [(t.id, m) for t in source.iter_tweets() for m in t.media]
        assert media and all(source.open_media(i, m) is None for i, m in media)


def test_mention_minus_one_and_small_ids(make_archive: Make) -> None:
    gen = make_archive(era="E", tweets=400, seed=64)
    with zipfile.ZipFile(gen.path) as zf:
        assert b'"id_str" : "-1"' in zf.read("data/tweet.js")
    parsed = read_archive([gen.path])
    assert -1 not in parsed.handles and all(k > 0 for k in parsed.handles)
    with open_archive([gen.path]) as source:
        small = [t for t in source.iter_tweets() if t.id < 1 << 40]
    assert small and all(t.created_at and t.created_at.year <= 2010 for t in small)


def test_date_and_text_helpers() -> None:
    assert parse_date("Fri Mar 06 13:02:05 +0000 2026").isoformat() == "2026-03-06T13:02:05+00:00"
    assert parse_date("2019-02-08 08:38:13 +0000").isoformat() == "2019-02-08T08:38:13+00:00"
    assert parse_date("2026-03-06T12:43:58.000Z").isoformat() == "2026-03-06T12:43:58+00:00"
    assert parse_date("garbage") is None and parse_date(None) is None
    assert unescape("a &amp;lt; b &gt; c &lt;") == "a &lt; b > c <"
    assert snowflake_ms(1869761111111111111) == (1869761111111111111 >> 22) + 1288834974657
    assert snowflake_ms(20) is None


def test_missing_media_folder(make_archive: Make) -> None:
    gen = make_archive(era="E", tweets=60, media_ratio=0.8, with_media_files=False, seed=65)
    with open_archive([gen.path]) as source:
        media = [(t.id, m) for t in source.iter_tweets() for m in t.media]
        assert media and all(source.open_media(i, m) is None for i, m in media)


def test_zipped_media_of_2019_is_not_opened(make_archive: Make) -> None:
    gen = make_archive(era="B2", tweets=40, media_ratio=0.8, seed=66)
    with zipfile.ZipFile(gen.path) as zf:
        assert "tweet_media.zip" in zf.namelist()
    parsed = read_archive([gen.path])  # the inner media zip is not mistaken for an archive
    assert parsed.era == "gdpr-root" and "tweet_media.zip" not in parsed.files_read
