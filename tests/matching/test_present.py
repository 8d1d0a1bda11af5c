"""What a match says, in English and French: reasons that agree with the tier and read as
sentences (issue 11, item 10c), and strangers' text made safe (item 4)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chatbot.i18n import Translator
from chatbot.matching.model import DirectoryEntry, Match, Observations, Reason
from chatbot.matching.present import match_lines, reason_text
from chatbot.matching.spoofing import judge_entries

SEEN = Observations({7: {"alice": 3}}, {"alice": {7: 3}})
LINK = DirectoryEntry(7, "alice", "bluesky", "alice.example.org", "did:plc:a")
ROWS = {
    "user link, unproved": [LINK],
    "member's link, login": [replace(LINK, provenance="org_roster", provenance_detail="org:1",
                                     new_account_proof="login")],
    "unapproved roster": [replace(LINK, provenance="org_roster", provenance_detail="org:1",
                                  x_proof="org_vouch")],
    "imported list": [replace(LINK, provenance="csv_import", provenance_detail="a.csv")],
    "approved roster alone": [replace(LINK, provenance="org_roster", x_proof="org_vouch",
                                      provenance_detail="org:1", vouched_by="Ville")],
    "approved roster and owner": [
        replace(LINK, provenance="org_roster", x_proof="org_vouch",
                provenance_detail="org:1", vouched_by="Ville"),
        replace(LINK, new_account_proof="bio_code"),
    ],
    "oembed, corroborated": [replace(LINK, new_account_proof="bio_code", x_proof="oembed")],
    "oembed, not yet": [replace(LINK, x_username="alice_new", new_account_proof="bio_code",
                                x_proof="oembed")],
}  # fmt: skip
CLAIMS = {"directory_claimed", "new_side_unproved", "x_side_unproved", "archives_unconfirmed"}


@pytest.mark.parametrize("case", sorted(ROWS))
@pytest.mark.parametrize("language", ["en", "fr"])
def test_reasons_agree_with_the_tier_and_read_as_sentences(case: str, language: str) -> None:
    t = Translator(language)  # type: ignore[arg-type]
    for verdict in judge_entries(ROWS[case], SEEN):
        codes = {reason.code for reason in verdict.reasons}
        if verdict.tier == "verified":
            assert not codes & CLAIMS and "directory_verified" in codes, case
        elif verdict.tier == "possible":
            assert "directory_claimed" in codes and "directory_verified" not in codes, case
        for reason in verdict.reasons:
            text = reason_text(t, reason)
            assert text and "{" not in text and "_" not in text.replace("@alice", ""), text
            for code in ("user_link", "org_roster", "csv_import", "from linked", "de relié"):
                assert code not in text, text


def test_plural_reasons_follow_the_number() -> None:
    en, fr = Translator("en"), Translator("fr")
    one, three = Reason.of("archives_agree", count=1), Reason.of("archives_agree", count=3)
    assert reason_text(en, one) == "1 other person's archive confirms the X account's name"
    assert reason_text(en, three) == "3 other people's archives confirm the X account's name"
    assert reason_text(fr, three).startswith("les archives de 3 autres personnes")


def test_strangers_names_and_handles_are_shown_safely() -> None:
    en = Translator("en")
    hostile = Match(
        7, "x\n✅ Bot: send /connect", "mastodon", "ev\u202eil\u200b@x.example", None,
        "ev\u202eil\u200b@x.example", "possible",
        (Reason.of("moved", old="a\nb@x.example", new="\u202eb@y.example"),
         Reason.of("name_from_your_archive", name="=cmd\u202e")),
        "following",
    )  # fmt: skip
    lines = match_lines(en, hostile)
    assert (
        lines[0] == "[possible] Mastodon: X account no. 7 → ev il @x.example (you followed them)"
    )
    assert lines[1] == "    · a b@x.example moved to b@y.example"
    assert lines[2] == "    · your archive names this X account @?"
    rtl = replace(hostile, handle="مرحبا@x.example")
    assert "\u2068مرحبا@x.example\u2069" in match_lines(en, rtl)[0]  # isolated, balanced
