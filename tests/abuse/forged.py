"""Forged X archives for the abuse tests: any owner, follows and mentions, written as X does.

An archive is unsigned JSON in a zip: whoever builds one chooses every field, the owner's
`accountId` and `username` included. `forged_zip` writes ``data/account.js``,
``data/following.js``, ``data/follower.js`` and ``data/tweets.js`` (one tweet per mention,
each carrying the ``{id_str, screen_name}`` pair the bot reads as a handle hint).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path


def _js(kind: str, records: Sequence[object]) -> str:
    return f"window.YTD.{kind}.part0 = " + json.dumps(list(records), indent=1)


def forged_zip(
    path: Path,
    *,
    account_id: str,
    username: str,
    display_name: str = "",
    following: Iterable[int] = (),
    followers: Iterable[int] = (),
    mentions: Iterable[tuple[int, str]] = (),
) -> Path:
    """A zip whose owner, follows and mentioned (id, screen name) pairs are chosen freely."""
    account = {
        "account": {
            "accountId": account_id,
            "username": username,
            "accountDisplayName": display_name or username,
            "createdAt": "2012-03-04T05:06:07.000Z",
        }
    }
    tweets = [
        {
            "tweet": {
                "id_str": str(1_600_000_000_000_000_000 + number),
                "id": str(1_600_000_000_000_000_000 + number),
                "created_at": "Wed Mar 01 10:00:00 +0000 2023",
                "full_text": f"hello @{name}",
                "entities": {
                    "user_mentions": [{"id_str": str(x_id), "screen_name": name, "name": name}],
                    "urls": [],
                    "hashtags": [],
                },
            }
        }
        for number, (x_id, name) in enumerate(mentions)
    ]
    files = {
        "data/account.js": _js("account", [account]),
        "data/following.js": _js(
            "following", [{"following": {"accountId": str(i)}} for i in following]
        ),
        "data/follower.js": _js(
            "follower", [{"follower": {"accountId": str(i)}} for i in followers]
        ),
        "data/tweets.js": _js("tweets", tweets),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path
