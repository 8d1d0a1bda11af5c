"""The archive generations A..H (§2 of the format spec) as generator settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class EraInfo:
    name: str
    generated: dt.datetime
    layout: str = "2022"  # JSON layout of data files
    classic: bool = False  # A: Grailbird tweet archive
    data_folder: bool = True  # data/ (D+) or files at the zip root (B, C)
    manifest: bool = True
    tweet_file: str = "tweets"  # "tweet" until 2022-04
    wrapped: bool = True  # {"tweet": {...}} records (C+)
    floats: bool = False  # 2018: "id" as a float string
    userlink: bool = True
    media_dir: str = "tweets_media"
    edit_info: bool = True
    headers: bool = True  # tweet-headers.js
    circle: bool = False
    community: bool = True
    notes: bool = False
    xcom: bool = False
    zipped_media: bool = False  # 2019: tweet_media.zip inside the archive
    dm_file: str = "direct-messages"


def _utc(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, 13, 15, 31, tzinfo=dt.UTC)


_OLD = {
    "layout": "2019",
    "tweet_file": "tweet",
    "media_dir": "tweet_media",
    "edit_info": False,
    "headers": False,
    "community": False,
}
ERAS: dict[str, EraInfo] = {
    "A": EraInfo("A", _utc(2019, 2, 8), classic=True, **_OLD),  # type: ignore[arg-type]
    "B": EraInfo(
        "B",
        _utc(2018, 6, 1),
        data_folder=False,
        manifest=False,
        wrapped=False,
        floats=True,
        userlink=False,
        dm_file="direct-message",
        **_OLD,  # type: ignore[arg-type]
    ),
    "B2": EraInfo(
        "B2",
        _utc(2019, 10, 10),
        data_folder=False,
        manifest=False,
        wrapped=False,
        userlink=False,
        zipped_media=True,
        dm_file="direct-message",
        **_OLD,  # type: ignore[arg-type]
    ),
    "C": EraInfo(
        "C",
        _utc(2020, 1, 20),
        data_folder=False,
        manifest=False,
        userlink=False,
        **_OLD,  # type: ignore[arg-type]
    ),
    "D": EraInfo("D", _utc(2020, 4, 3), **_OLD),  # type: ignore[arg-type]
    "E": EraInfo(
        "E",
        _utc(2022, 4, 29),
        layout="2022",
        tweet_file="tweet",
        media_dir="tweet_media",
        edit_info=False,
        headers=False,
    ),
    "F": EraInfo("F", _utc(2022, 11, 14), circle=True),
    "G": EraInfo("G", _utc(2024, 11, 16), circle=True, notes=True),
    "H": EraInfo("H", _utc(2026, 3, 6), notes=True, xcom=True),
}
