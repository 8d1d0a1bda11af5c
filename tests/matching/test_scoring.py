"""One test per scoring rule (R1-R10 in chatbot/matching/scoring.py), plus the text helpers."""

from __future__ import annotations

from chatbot.matching.model import DirectoryEntry, Match, Observations, Reason
from chatbot.matching.scoring import (
    Identity,
    guess_offline,
    resolve_conflicts,
    score_bluesky,
    score_mastodon,
)
from chatbot.matching.spoofing import judge_entry
from chatbot.matching.text import (
    bluesky_handles_mentioned,
    bridged_acct_of,
    bridgy_bluesky_handle,
    bridgy_mastodon_acct,
    bsky_social_handles,
    handle_variants,
    mastodon_accts,
    x_names_linked,
)
from chatbot.networks.types import BlueskyProfile, MastodonAccount

ALICE = Identity(42, own={"Alice_B": 3})


def profile(
    handle: str, bio: str = "", name: str | None = None, labels: tuple[str, ...] = ()
) -> BlueskyProfile:
    return BlueskyProfile(f"did:plc:{handle.replace('.', '')}", handle, name, bio, labels)


def codes(reasons: tuple[Reason, ...]) -> list[str]:
    return [r.code for r in reasons]


def observed(x_id: int, name: str, users: int) -> Observations:
    return Observations({x_id: {name: users}}, {name.lower(): {x_id: users}})


def test_r1_directory_link_proved_on_both_sides_is_verified_else_claimed() -> None:
    seen = observed(42, "alice_b", 3)
    proved = DirectoryEntry(
        42, "Alice_B", "bluesky", "a.bsky.social", "did:plc:a",
        new_account_proof="login", x_proof="oembed",
    )  # fmt: skip
    verdict = judge_entry(proved, seen)
    assert (verdict.verified, verdict.tier) == (True, "verified")
    assert codes(verdict.reasons)[:3] == [
        "directory_verified",
        "new_proof_login",
        "x_proof_oembed",
    ]
    only_login = DirectoryEntry(
        42, "Alice_B", "bluesky", "a.bsky.social", "did:plc:a", new_account_proof="login"
    )
    verdict = judge_entry(only_login, seen)
    assert (verdict.verified, verdict.tier) == (False, "possible")
    assert codes(verdict.reasons) == [
        "directory_claimed", "source_user_link", "new_proof_login", "x_side_unproved"
    ]  # fmt: skip
    vouched_without_new_side = DirectoryEntry(
        42, "Alice_B", "bluesky", "a.bsky.social", "did:plc:a",
        provenance="org_roster", x_proof="org_vouch",
    )  # fmt: skip
    verdict = judge_entry(vouched_without_new_side, seen)  # by a group nobody approved
    assert verdict.tier == "possible"
    assert codes(verdict.reasons) == [
        "directory_claimed", "source_org_roster", "new_side_unproved", "x_side_unproved"
    ]  # fmt: skip


def test_r2_bio_cross_link_and_handle_is_likely() -> None:
    for bio in ("x.com/Alice_B", "Twitter: @alice_b", "https://twitter.com/alice_b/"):
        result = score_bluesky(ALICE, profile("alice-b.bsky.social", bio))
        assert result is not None and result.tier == "likely", bio
        assert codes(result.reasons) == [
            "name_from_your_archive",
            "bio_links_x",
            "handle_bsky_social",
        ]
    domain = score_bluesky(ALICE, profile("aliceb.example.org", "x.com/alice_b"))
    assert domain is not None and domain.tier == "likely"
    assert "handle_custom_domain" in codes(domain.reasons)


def test_r3_bio_cross_link_alone_is_possible() -> None:
    result = score_bluesky(ALICE, profile("wonderland.bsky.social", "formerly @alice_b on X"))
    assert result is not None and result.tier == "possible"
    crowded = score_bluesky(ALICE, profile("w.bsky.social", "x.com/alice_b"), claimants=2)
    assert crowded is not None and "several_claim_x" in codes(crowded.reasons)


def test_r4_handle_alone_is_possible_and_only_with_the_users_own_name() -> None:
    result = score_bluesky(ALICE, profile("alice-b.bsky.social", "hello"))
    assert result is not None and result.tier == "possible"
    assert "handle_only" in codes(result.reasons)
    crowd_only = Identity(42, observed={"alice_b": 5})
    assert score_bluesky(crowd_only, profile("alice-b.bsky.social")) is None


def test_r5_display_name_similar_handle_or_unrelated_bio_is_no_match() -> None:
    assert score_bluesky(ALICE, profile("alicebe.bsky.social", name="Alice_B")) is None
    assert score_bluesky(ALICE, profile("alice-bb.bsky.social")) is None  # Jaro-Winkler 0.97
    assert score_bluesky(ALICE, profile("z.bsky.social", "x.com/alice_bob")) is None
    assert score_bluesky(ALICE, profile("z.bsky.social", "mailbox.com/alice_b")) is None


def test_r6_impersonation_and_spam_labels_are_never_proposed() -> None:
    fake = profile("alice-b.bsky.social", "x.com/alice_b", labels=("impersonation",))
    assert score_bluesky(ALICE, fake) is None


def test_r7_a_reused_x_name_caps_at_possible() -> None:
    reused = Identity(42, own={"alice_b": 1}, reused=frozenset({"alice_b"}))
    result = score_bluesky(reused, profile("alice-b.bsky.social", "x.com/alice_b"))
    assert result is not None and result.tier == "possible"
    assert "name_reused" in codes(result.reasons)
    renamed = Identity(42, own={"alice_b": 1}, observed={"alice_old": 3})
    result = score_bluesky(renamed, profile("alice-b.bsky.social", "x.com/alice_b"))
    assert result is not None and result.tier == "possible"
    assert result.reasons[-1] == Reason.of("name_changed", name="alice_old")


def test_r8_mastodon_found_through_bluesky() -> None:
    quiet = MastodonAccount("alice@example.social", "https://example.social/@alice")
    back = MastodonAccount("alice@example.social", "u", note="also x.com/alice_b")
    assert score_mastodon("verified", quiet, ALICE, "a.bsky.social").tier == "likely"
    assert score_mastodon("likely", quiet, ALICE, "a.bsky.social").tier == "possible"
    linked = score_mastodon("likely", back, ALICE, "a.bsky.social")
    assert linked.tier == "likely" and "mastodon_links_back" in codes(linked.reasons)
    assert score_mastodon("possible", back, ALICE, "a.bsky.social").tier == "possible"


def _match(target: str, tier: str, *reasons: str, network: str = "bluesky") -> Match:
    return Match(
        42, "alice_b", network, target, target, None, tier,  # type: ignore[arg-type]
        tuple(Reason.of(r) for r in reasons), "following",
    )  # fmt: skip


def test_r9_competing_candidates_and_contradicted_claims() -> None:
    out = resolve_conflicts([_match("did:a", "likely", "x"), _match("did:b", "likely", "y")])
    assert {m.tier for m in out} == {"possible"}
    assert all("several_candidates" in m.reason_codes() for m in out)
    out = resolve_conflicts([_match("did:a", "verified", "v"), _match("did:b", "possible", "p")])
    assert [m.target for m in out] == ["did:a"]
    merged = resolve_conflicts([_match("did:a", "possible", "p"), _match("did:a", "likely", "l")])
    assert len(merged) == 1 and merged[0].tier == "likely"
    assert set(merged[0].reason_codes()) == {"l", "p"}
    impostor = _match("did:i", "possible", "directory_claimed", "archives_disagree")
    assert resolve_conflicts([impostor]) == []
    supported = _match("did:i", "likely", "bio_links_x")
    (kept,) = resolve_conflicts([impostor, supported])
    assert kept.tier == "possible"


def test_a_match_says_only_what_agrees_with_its_tier() -> None:
    """Item 10c: a verified match merged with a claim for the same account does not also
    say "claimed" or "nobody proved..."; a lower tier keeps a contradicted claim's warning."""
    proved = ("directory_verified", "new_proof_bio_code", "x_proof_oembed")
    claim = ("directory_claimed", "source_org_roster", "new_side_unproved", "x_side_unproved")
    for order in ((proved, claim), (claim, proved)):
        rows = [_match("did:a", "verified" if r is proved else "possible", *r) for r in order]
        (merged,) = resolve_conflicts(rows)
        assert (merged.tier, merged.reason_codes()) == ("verified", proved)
    vouched = _match("did:a", "likely", "directory_vouched", "new_side_unproved")
    (merged,) = resolve_conflicts([_match("did:a", "possible", *claim), vouched])
    assert merged.reason_codes() == ("directory_vouched", "new_side_unproved")
    disputed = _match("did:a", "possible", "directory_claimed", "archives_disagree")
    (merged,) = resolve_conflicts([disputed, _match("did:a", "likely", "bio_links_x")])
    assert merged.tier == "possible" and "archives_disagree" in merged.reason_codes()
    (merged,) = resolve_conflicts([disputed, _match("did:a", "verified", *proved)])
    assert (merged.tier, merged.reason_codes()) == ("verified", proved)


def test_r10_offline_guesses_are_possible_and_unchecked() -> None:
    # kept for the rows of older exports; the engine no longer makes such matches
    result = guess_offline("alice_b", "alice-b.bsky.social")
    assert result.tier == "possible" and codes(result.reasons) == ["handle_guess_unverified"]


def test_text_helpers() -> None:
    assert handle_variants("Alice_B") == ["alice-b", "aliceb"]
    assert bsky_social_handles("Al") == []
    assert x_names_linked("see x.com/Foo and twitter.com/i/web, box.com/bar") == {"foo"}
    assert x_names_linked("𝕏: @Bar_1 · @baz on Twitter") == {"bar_1", "baz"}
    assert mastodon_accts("🐘 @a@mas.to, https://piaille.fr/@b_c, mail me: x@gmail.com") == [
        "a@mas.to",
        "b_c@piaille.fr",
    ]
    assert bluesky_handles_mentioned("now @alice.example.org, bsky.app/profile/b.bsky.social") == [
        "alice.example.org",
        "b.bsky.social",
    ]
    assert bridgy_bluesky_handle("a_b~c@My.Social") == "a-b-c.my.social.ap.brid.gy"
    assert bridgy_bluesky_handle("_x@my.social") is None
    assert bridged_acct_of("ab.my.social.ap.brid.gy") == "ab@my.social"
    assert bridgy_mastodon_acct("Alice.bsky.social") == "alice.bsky.social@bsky.brid.gy"
