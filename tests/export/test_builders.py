"""The pure builders of /export: Mastodon's CSV, matches.csv / matches.json, list members."""

from __future__ import annotations

import csv
import io
import json

from chatbot.i18n import Translator
from chatbot.migration.export import (
    MASTODON_HEADER,
    bluesky_accounts,
    clip,
    mastodon_accounts,
    mastodon_csv_files,
    match_files,
)
from tests.export.matches import bsky, masto

FOUND = [
    masto(1, "verified"),
    masto(2, "likely", confirmed=True),
    masto(3, "likely"),
    masto(4, "possible"),
    masto(5, "verified", direction="follower"),
    masto(6, "verified", direction="both"),
    masto(7, "verified", acct="user1@example.social"),  # the same account twice
    bsky(8, "verified"),
]


def test_mastodon_accounts_eligible_or_every_tier() -> None:
    assert mastodon_accounts(FOUND) == [
        "user1@example.social", "user2@example.social", "user6@example.social",
    ]  # fmt: skip
    assert mastodon_accounts(FOUND, all_tiers=True) == [
        f"user{n}@example.social" for n in (1, 2, 3, 4, 6)
    ]


def test_mastodon_csv_has_the_exact_header_and_rows() -> None:
    (file,) = mastodon_csv_files(mastodon_accounts(FOUND))
    assert file.name == "following_accounts.csv" and file.mime_type == "text/csv"
    text = file.data.decode("utf-8")
    assert not text.startswith("\ufeff")
    assert text.splitlines() == [
        "Account address,Show boosts,Notify on new posts,Languages",
        "user1@example.social,true,false,",
        "user2@example.social,true,false,",
        "user6@example.social,true,false,",
    ]
    assert MASTODON_HEADER == "Account address,Show boosts,Notify on new posts,Languages"
    assert mastodon_csv_files([]) == []


def test_45001_rows_make_three_files_of_at_most_20000() -> None:
    accts = [f"u{n}@big.example" for n in range(45_001)]
    files = mastodon_csv_files(accts)
    assert [f.name for f in files] == [
        "following_accounts-1.csv", "following_accounts-2.csv", "following_accounts-3.csv",
    ]  # fmt: skip
    back: list[str] = []
    for file, rows in zip(files, (20_000, 20_000, 5_001), strict=True):
        lines = file.data.decode().splitlines()
        assert lines[0] == MASTODON_HEADER and len(lines) == rows + 1
        back += [line.split(",")[0] for line in lines[1:]]
    assert back == accts


def test_only_mastodon_addresses_are_written() -> None:
    """Addresses that are not ``user@domain`` (a remote server's word, a forged name) are left
    out: Mastodon would refuse the file, and a cell could start a formula."""
    odd = ["we,ird@example.social", 'quo"te@example.social', "=cmd|'/c calc'!A0@x.example",
           "-2+3@example.social", "a@b", "x" * 250 + "@example.social"]  # fmt: skip
    assert mastodon_csv_files(odd) == []
    good = [
        "@lead@example.social",
        "dot.and-dash_1@sub.example.social",
        "xn--caf-dma@xn--caf-dma.fr",
    ]
    (file,) = mastodon_csv_files(odd + good)
    rows = list(csv.reader(io.StringIO(file.data.decode())))
    assert rows[0] == MASTODON_HEADER.split(",")
    assert [row[0] for row in rows[1:]] == [good[0][1:], *good[1:]]


def test_matches_csv_and_json_in_the_users_language() -> None:
    fr = Translator("fr")
    csv_file, json_file = match_files(fr, FOUND, language="fr")
    assert (csv_file.name, json_file.name) == ("matches.csv", "matches.json")
    rows = list(csv.DictReader(io.StringIO(csv_file.data.decode("utf-8-sig"))))
    assert len(rows) == len(FOUND)
    first = rows[0]
    assert first["network"] == "mastodon" and first["tier"] == "verified"
    assert first["acct"] == "user1@example.social" and first["eligible"] == "true"
    assert first["reason_codes"] == "mastodon_links_back;handle_guess_unverified"
    assert first["reasons"].split(" | ") == [
        fr("match.reason.mastodon_links_back"),
        fr("match.reason.handle_guess_unverified", name="x1", handle="user1@example.social"),
    ]
    assert "@x1" in first["reasons"]
    assert {row["direction"] for row in rows} == {"following", "follower", "both"}

    data = json.loads(json_file.data)
    assert data["language"] == "fr" and data["count"] == len(FOUND)
    last = data["matches"][-1]
    assert last["network"] == "bluesky" and last["did"] == "did:plc:" + "8".rjust(24, "0")
    assert last["reasons"] == [{"code": "directory_verified", "params": {},
                                "text": fr("match.reason.directory_verified")}]  # fmt: skip
    assert data["matches"][0]["reasons"][1]["params"] == {
        "handle": "user1@example.social", "name": "x1",
    }  # fmt: skip
    assert data["matches"][2]["eligible"] is False and data["matches"][1]["confirmed"] is True
    assert match_files(fr, [], language="fr") == []


def test_bluesky_members_best_tiers_first_and_capped() -> None:
    found = [bsky(1, "likely", confirmed=True), bsky(2, "verified"), bsky(3, "likely"),
             bsky(4, "verified", confirmed=True), bsky(5, "verified", direction="follower"),
             masto(6)]  # fmt: skip
    dids = [f"did:plc:{n:024d}" for n in range(7)]
    assert bluesky_accounts(found) == [dids[4], dids[2], dids[1]]
    assert bluesky_accounts(found, all_tiers=True) == [dids[4], dids[2], dids[1], dids[3]]
    assert bluesky_accounts(found, limit=2) == [dids[4], dids[2]]


def test_clip_names() -> None:
    assert clip("  a   b ", 10) == "a b"
    assert clip("x" * 70, 64) == "x" * 64
