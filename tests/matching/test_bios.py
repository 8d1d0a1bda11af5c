"""Bios as people write them (issue 12 item 3): cross-links claimed, negations disclaimed.

Every phrasing below is one seen in real bios, in English and in French."""

from __future__ import annotations

import time

import pytest

from chatbot.matching.bios import BIO_LIMIT, read_bio
from chatbot.matching.scoring import Identity, score_bluesky
from chatbot.matching.text import x_names_disclaimed, x_names_linked
from chatbot.networks.types import BlueskyProfile

CLAIMS = [
    "formerly @alice_b on X/Twitter",
    "Formerly @alice_b on Twitter",
    "ex-@alice_b",
    "ex @alice_b",
    "@alice_b (Twitter)",
    "@alice_b [X]",
    "@alice_b (ex-Twitter)",
    "X/Twitter → @alice_b",
    "Twitter/X -> @alice_b",
    "𝕏 @alice_b",
    "Twitter: @alice_b",
    "X: @alice_b",
    "X (ex-Twitter) : @alice_b",
    "anciennement @alice_b sur Twitter",
    "Anciennement @alice_b sur X",
    "ex-Twitter : alice_b",
    "@alice_b sur Twitter, maintenant ici",
    "previously @alice_b",
    "https://x.com/alice_b",
    "x.com/alice_b",
    "twitter.com/@alice_b",
    "https://www.twitter.com/alice_b/",
    "https://mobile.twitter.com/#!/alice_b",
    "nitter.net/alice_b",
    "https://nitter.poast.org/alice_b",
    "xcancel.com/alice_b",
    "https://twitter.com/intent/user?screen_name=alice_b",
    "Journaliste. Anciennement @alice_b sur Twitter. Avis perso.",
    "Football fan. Formerly @alice_b on X.",
    "Fan de foot\nex-@alice_b",
    "Views my own | ex-@alice_b",
    "ｘ.ｃｏｍ/alice_b",  # full-width letters: NFKC
]
DISCLAIMS = [
    "fan account, not affiliated with @alice_b",
    "unofficial mirror of x.com/alice_b",
    "Parody of @alice_b on Twitter",
    "Parodie de @alice_b sur Twitter",
    "Compte fan de @alice_b",
    "compte parodique — x.com/alice_b",
    "Non officiel. x.com/alice_b",
    "non-officiel : twitter.com/alice_b",
    "Pas affilié à @alice_b (Twitter)",
    "Big fan of @alice_b on X",
    "Bot reposting x.com/alice_b",
    "Archive of @alice_b's tweets (x.com/alice_b)",
    "Mirror of twitter.com/alice_b, automated",
    "Relais automatique des tweets de x.com/alice_b",
    "par\u200body of x.com/alice_b",  # a zero-width space does not hide the negation
    "Satirical account. Formerly @alice_b on X",
    "Not the real @alice_b. x.com/alice_b",
    "Roleplay | @alice_b (Twitter)",
    "Tribute to @alice_b on X",
]
NOTHING = [
    "mail: alice_b@gmail.com",
    "ex-@alice_b.bsky.social",  # an old Bluesky handle, not an X name
    "alice_b",
    "I like x.com/alice_bee",
    "@alice_b",  # a mention without anything saying it is an X account
    "box.com/alice_b",
]


@pytest.mark.parametrize("bio", CLAIMS)
def test_real_phrasings_claim_the_x_name(bio: str) -> None:
    assert x_names_linked(bio) == {"alice_b"}, bio
    assert not x_names_disclaimed(bio)


@pytest.mark.parametrize("bio", DISCLAIMS)
def test_negations_turn_a_link_into_evidence_against(bio: str) -> None:
    evidence = read_bio(bio)
    assert "alice_b" in evidence.disclaims, bio
    assert "alice_b" not in evidence.claims


@pytest.mark.parametrize("bio", NOTHING)
def test_what_is_not_a_claim(bio: str) -> None:
    assert "alice_b" not in x_names_linked(bio), bio


def test_a_fan_of_someone_else_still_claims_its_own_name() -> None:
    evidence = read_bio("Big fan of @bob_x. | Formerly @alice_b on X")
    assert evidence.claims == {"alice_b"} and evidence.disclaims == {"bob_x"}


def test_a_huge_bio_is_read_only_up_to_the_limit() -> None:
    assert x_names_linked("a " * BIO_LIMIT + "x.com/alice_b") == set()
    assert x_names_linked("a " * 100 + "x.com/alice_b") == {"alice_b"}


ALICE = Identity(42, own={"Alice_B": 3})


def _profile(handle: str, bio: str, name: str = "Alice B") -> BlueskyProfile:
    return BlueskyProfile(f"did:plc:{handle.split('.')[0]}", handle, name, bio)


@pytest.mark.parametrize("bio", DISCLAIMS)
def test_a_disclaimer_is_never_a_match_even_on_the_exact_handle(bio: str) -> None:
    assert score_bluesky(ALICE, _profile("alice-b.bsky.social", bio)) is None


@pytest.mark.parametrize("bio", CLAIMS[:16])
def test_a_phrasing_on_another_handle_is_a_possible_match(bio: str) -> None:
    scored = score_bluesky(ALICE, _profile("abrown.bsky.social", bio))
    assert scored is not None and scored.tier == "possible"
    assert [r.code for r in scored.reasons][:2] == ["name_from_your_archive", "bio_links_x"]


def test_the_display_name_alone_is_never_a_match() -> None:
    assert score_bluesky(ALICE, _profile("abrown.bsky.social", "hello", "Alice B")) is None
    assert score_bluesky(ALICE, _profile("abrown.bsky.social", "", "alice_b")) is None


HOSTILE = [
    "x" + " " * (BIO_LIMIT - 1),
    "ex" + "-" * (BIO_LIMIT - 2),
    "ex" + " -" * (BIO_LIMIT // 2) + "twitter",
    "twitter" + ":" * (BIO_LIMIT - 8) + "a",
    "x (" * (BIO_LIMIT // 3),
    "@a (" * (BIO_LIMIT // 4),
    "nitter." + "a." * (BIO_LIMIT // 2) + "/x",
    "x.com/" + "a" * BIO_LIMIT * 10,
]


@pytest.mark.parametrize("bio", HOSTILE)
def test_a_hostile_bio_is_read_in_bounded_time(bio: str) -> None:
    """Runs that made the optional separators backtrack (0.5 s for 3,000 blanks)."""
    started = time.perf_counter()
    for _ in range(10):
        read_bio(bio)
    assert time.perf_counter() - started < 1.0  # 10 reads; about 5 ms each here
