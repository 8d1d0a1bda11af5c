"""Pure pieces: Mastodon's import files, the profile put back, what blocks carry over."""

from __future__ import annotations

import csv
import io

from chatbot.matching.model import Match, Reason
from chatbot.migration.export import blocks_files, list_files
from chatbot.migration.safety import SafetyMatch, targets
from chatbot.undo.profile import bluesky_record, mastodon_changes
from chatbot.undo.store import Backup


def test_blocks_and_list_files_have_mastodons_headers_names_and_limits() -> None:
    files = blocks_files(["@a@x.example", "b@y.example"], ["c@z.example"])
    assert [(f.name, f.rows) for f in files] == [("blocked_accounts.csv", 2),
                                                 ("muted_accounts.csv", 1)]  # fmt: skip
    assert files[0].data == b"Account address\na@x.example\nb@y.example\n"
    assert files[1].data == b"Account address,Hide notifications\nc@z.example,true\n"
    assert blocks_files([], []) == []
    big = list_files('=HYPERLINK("http://evil")', [f"u{n}@m.example" for n in range(20_001)])
    assert [(f.name, f.rows) for f in big] == [("lists-1.csv", 20_000), ("lists-2.csv", 1)]
    rows = list(csv.reader(io.StringIO(big[1].data.decode())))
    assert rows[0] == ["List name", "Account address"]
    assert rows[1][0].startswith("'="), "a list name is never run as a formula"


def test_the_profile_put_back_field_by_field() -> None:
    fields = {"changed": ["name", "bio", "avatar", "banner"], "name": "Old", "bio": None,
              "unrestorable": ["banner"]}  # fmt: skip
    backup = Backup("bluesky", fields, avatar=b"png")
    current = {"displayName": "New", "description": "Copied", "avatar": {"new": 1},
               "banner": {"copied": 1}, "pronouns": "she/her"}  # fmt: skip
    restored = bluesky_record(current, backup, {"avatar": {"old": 1}})
    assert restored == {"displayName": "Old", "avatar": {"old": 1}, "banner": {"copied": 1},
                        "pronouns": "she/her"}  # fmt: skip
    masto = Backup("mastodon", {"changed": ["name", "bio", "avatar", "banner"], "name": "Old",
                                "bio": "Words", "avatar_default": True},
                   banner=b"jpg")  # fmt: skip
    changes, cleared = mastodon_changes(masto)
    assert changes == {"display_name": "Old", "note": "Words", "header": b"jpg",
                       "header_mime_type": "image/jpeg"}  # fmt: skip
    assert cleared == ["avatar"]


def _safety(x_id: int, tier: str, *, blocked: bool, confirmed: bool = False) -> SafetyMatch:
    match = Match(x_id, f"x{x_id}", "bluesky", f"h{x_id}.test", f"did:plc:{x_id}", None,
                  tier, (Reason.of("directory_verified"),), "following", confirmed)  # type: ignore[arg-type]  # fmt: skip
    return SafetyMatch(match, blocked, not blocked or x_id == 5)


def test_only_sure_matches_are_carried_over() -> None:
    found = [
        _safety(1, "verified", blocked=True),
        _safety(2, "likely", blocked=True),
        _safety(3, "likely", blocked=False, confirmed=True),
        _safety(4, "possible", blocked=False),
        _safety(5, "verified", blocked=True),
    ]
    blocks, mutes = targets(found, "bluesky")
    assert blocks == ["did:plc:1", "did:plc:5"]  # 5 is blocked and muted: blocked only
    assert mutes == ["did:plc:3"]
    assert targets(found, "mastodon") == ([], [])
    assert [f.match.x_id for f in found if f.to_review] == [2]
