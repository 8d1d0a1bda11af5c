"""Small X archives for the end-to-end tests, written from scratch (2022+ layout).

The account name and counts are distinctive so tests can look for them in replies and
make sure they never show up in a group.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

USERNAME = "e2e_zoe_quux"
DISPLAY_NAME = "Zoé Quux-Test"
FOLLOWING = 7
FOLLOWERS = 5
TWEETS = 4


@dataclass(frozen=True)
class Part:
    name: str  # file name inside data/
    content: str


def _js(global_name: str, records: list[dict[str, object]]) -> str:
    return f"window.YTD.{global_name}.part0 = " + json.dumps(records, indent=2)


def account() -> Part:
    record = {
        "account": {
            "createdVia": "web",
            "username": USERNAME,
            "accountId": "990001",
            "createdAt": "2012-03-04T05:06:07.000Z",
            "accountDisplayName": DISPLAY_NAME,
        }
    }
    return Part("account.js", _js("account", [record]))


def _follows(kind: str, count: int, base: int) -> Part:
    records = [
        {
            kind: {
                "accountId": str(base + i),
                "userLink": f"https://twitter.com/intent/user?user_id={base + i}",
            }
        }
        for i in range(count)
    ]
    return Part(f"{kind}.js", _js(kind, records))


def following() -> Part:
    return _follows("following", FOLLOWING, 1_000_000)


def follower() -> Part:
    return _follows("follower", FOLLOWERS, 2_000_000)


def tweets() -> Part:
    records = []
    for i in range(TWEETS):
        tweet_id = str(1_500_000_000_000_000_000 + i)
        year = 2019 + i % 3
        records.append(
            {
                "tweet": {
                    "id": tweet_id,
                    "id_str": tweet_id,
                    "created_at": f"Mon Jan 0{i + 1} 10:00:00 +0000 {year}",
                    "full_text": f"hello world number {i}",
                    "favorite_count": "0",
                    "retweet_count": "0",
                    "lang": "en",
                    "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
                    "display_text_range": ["0", "20"],
                }
            }
        )
    return Part("tweets.js", _js("tweets", records))


def write_zip(path: Path, *, padding_bytes: int = 0) -> Path:
    """A zip of `data/` with every part; `padding_bytes` of random media keep it big."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for part in (account(), following(), follower(), tweets()):
            archive.writestr(f"data/{part.name}", part.content)
        if padding_bytes:
            info = zipfile.ZipInfo("data/tweets_media/1500000000000000000-padding.mp4")
            info.compress_type = zipfile.ZIP_STORED
            with archive.open(info, "w", force_zip64=True) as out:
                left = padding_bytes
                while left > 0:
                    chunk = min(left, 1 << 20)
                    out.write(os.urandom(chunk))
                    left -= chunk
    return path
