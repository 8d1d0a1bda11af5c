"""The real sample files (2019 dogsheep, 2026 milahu): see samples/README.md."""

from __future__ import annotations

import datetime as dt
import pickle
import shutil
import zipfile
from pathlib import Path

import pytest

from chatbot.archive import open_archive, read_archive

from .conftest import DOGSHEEP, MILAHU


@pytest.fixture
def milahu_files(tmp_path: Path) -> list[Path]:
    out = []
    for path in sorted(MILAHU.glob("*.js")):
        target = tmp_path / path.name.replace(".excerpt", "")
        shutil.copy(path, target)
        out.append(target)
    return out


def test_dogsheep_2019_loose_files() -> None:
    parsed = read_archive(sorted(DOGSHEEP.glob("*.js")))
    assert parsed.era == "loose"
    assert list(parsed.followers) == [73747798, 386025404]
    assert list(parsed.following) == [12158, 547842573]  # sorted
    assert parsed.owner.username == "simonw" and parsed.owner.account_id == "12497"
    assert parsed.owner.created_at == dt.datetime(2006, 11, 15, 13, 18, 50, tzinfo=dt.UTC)
    text = pickle.dumps(parsed).decode("latin-1")
    assert "swillison@example.com" not in text and "+15555555555" not in text
    assert "saved-search.js" not in parsed.files_read and "app.js" not in parsed.files_read


def test_dogsheep_2019_as_root_zip(tmp_path: Path) -> None:
    path = tmp_path / "twitter-2019.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for file in DOGSHEEP.glob("*.js"):
            zf.write(file, file.name)
    parsed = read_archive([path])
    assert parsed.era == "gdpr-root"
    assert parsed.counts.followers == 2
    assert "archive.warning.no_tweets_file:tweet.js" in parsed.warnings  # its era's name


def test_milahu_2026(milahu_files: list[Path]) -> None:
    parsed = read_archive(milahu_files)
    assert parsed.owner.account_id == "1964312974236991488"
    assert parsed.owner.username == "milahu104"
    assert parsed.owner.previous_usernames == ["HauthMilan34580"]
    assert parsed.counts.tweets == 2045 and parsed.counts.likes == 6708  # manifest counts
    assert parsed.counts.followers == 5  # the excerpt: actual records win
    assert "archive.warning.count_mismatch" in parsed.warnings
    assert parsed.generated_at == dt.datetime(2026, 3, 6, 13, 15, 31, 187000, tzinfo=dt.UTC)
    assert parsed.first_tweet == dt.datetime(2026, 3, 6, 12, 56, 28, tzinfo=dt.UTC)
    assert parsed.tweets_per_year == {2026: 3}
    assert parsed.best_handle(2253756806) == "SamaHoole"
    assert parsed.best_handle(1750816407195959296) == "StephanRPalm"  # RT mention + media
    assert parsed.profile.location == "Munich, Germany"
    assert not any(name.startswith("deleted") for name in parsed.files_read)
    pickle.loads(pickle.dumps(parsed))


def test_milahu_tweets_for_import(milahu_files: list[Path]) -> None:
    with open_archive(milahu_files) as source:
        tweets = {t.id: t for t in source.iter_tweets()}
    assert len(tweets) == 9  # 8 tweets + 1 community tweet
    rt = tweets[2029604193200152772]
    assert rt.is_retweet and rt.media[0].file_key == "HCo5t1CbQAA4FOT.jpg"
    assert rt.media[0].source_user_id == 1750816407195959296
    video = tweets[2027108952211693705]
    assert video.media[0].file_key == "ut37uMPNHhBkwLa6.mp4"
    gif = tweets[2011883284482207917]
    assert gif.media[0].type == "animated_gif" and gif.media[0].file_key == "G-ulHZgW0AE_yfP.mp4"
    assert tweets[2029903943413772741].is_reply_to_other
    starts = tweets[2024767818445504644]
    assert starts.reply_to_user_id is not None and starts.reply_to_tweet_id is None
    assert any(t.community for t in tweets.values())
    assert all("&amp;" not in t.text for t in tweets.values())
    assert any("&" in t.text for t in tweets.values())
