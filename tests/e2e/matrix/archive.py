"""A tiny, fake X archive (zip) with known facts, for the Matrix end-to-end tests."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ArchiveFacts:
    path: Path
    username: str
    display_name: str
    following: int
    followers: int
    tweets: int


def _js(name: str, records: Sequence[Mapping[str, object]]) -> str:
    return f"window.YTD.{name}.part0 = " + json.dumps(records, indent=2)


def _tweet(number: int, year: int) -> dict[str, object]:
    tweet_id = str(1_500_000_000_000_000_000 + number)
    return {
        "tweet": {
            "id": tweet_id,
            "id_str": tweet_id,
            "full_text": f"fake post number {number}",
            "created_at": f"Mon Mar 0{1 + number % 8} 10:00:00 +0000 {year}",
            "favorite_count": "0",
            "retweet_count": "0",
            "retweeted": False,
            "lang": "en",
            "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
        }
    }


def make_archive(path: Path, username: str = "matrixowner") -> ArchiveFacts:
    """Write a zip shaped like an X archive: account, following, follower, tweets."""
    display = "Matrix Owner"
    account = [
        {
            "account": {
                "email": "owner@example.invalid",
                "createdVia": "web",
                "username": username,
                "accountId": "4242",
                "createdAt": "2012-05-01T10:00:00.000Z",
                "accountDisplayName": display,
            }
        }
    ]
    following = [
        {
            "following": {
                "accountId": str(1000 + i),
                "userLink": f"https://twitter.com/intent/user?user_id={1000 + i}",
            }
        }
        for i in range(7)
    ]
    followers = [
        {
            "follower": {
                "accountId": str(2000 + i),
                "userLink": f"https://twitter.com/intent/user?user_id={2000 + i}",
            }
        }
        for i in range(5)
    ]
    tweets = [_tweet(i, 2019 + i % 3) for i in range(6)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data/account.js", _js("account", account))
        archive.writestr("data/following.js", _js("following", following))
        archive.writestr("data/follower.js", _js("follower", followers))
        archive.writestr("data/tweets.js", _js("tweets", tweets))
    return ArchiveFacts(path, username, display, len(following), len(followers), len(tweets))
