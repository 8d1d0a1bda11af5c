"""Competing claims, the graph signal and Bluesky's verification (issue 12 items 2 and 4).

The rows are scored as the engine scores them (`score_bluesky`), given the support the
graph step fills in (`Match.support`), then weighed by `resolve_conflicts`."""

from __future__ import annotations

from dataclasses import replace

from chatbot.i18n import Translator
from chatbot.matching.engine import apply_decisions
from chatbot.matching.model import Decisions, Match, Reason
from chatbot.matching.present import match_lines
from chatbot.matching.scoring import Identity, resolve_conflicts, score_bluesky
from chatbot.networks.types import BlueskyProfile

ALICE = Identity(42, own={"alice_b": 3})
REAL = BlueskyProfile("did:plc:real", "abrown.bsky.social", "Alice Brown",
                      "Journaliste. Anciennement @alice_b sur Twitter.")  # fmt: skip
IMPOSTOR = BlueskyProfile("did:plc:fake", "alice-b.bsky.social", "Alice Brown", "x.com/alice_b")
FAN = BlueskyProfile("did:plc:fan", "alice-b-fan.bsky.social", "Alice fans",
                     "Compte fan de @alice_b, non officiel")  # fmt: skip


def row(profile: BlueskyProfile, support: int | None, identity: Identity = ALICE) -> Match:
    scored = score_bluesky(identity, profile)
    assert scored is not None
    return Match(identity.x_id, identity.best_name, "bluesky", profile.handle, profile.did,
                 None, scored.tier, scored.reasons, "following", support=support)  # fmt: skip


def by_did(matches: list[Match]) -> dict[str | None, Match]:
    return {m.did: m for m in matches}


def test_the_real_person_outranks_the_impostor_who_copied_handle_name_and_link() -> None:
    found = apply_decisions(resolve_conflicts([row(IMPOSTOR, 0), row(REAL, 12)]), {})
    real, impostor = found  # the real account first
    assert real.did == REAL.did and impostor.did == IMPOSTOR.did
    assert impostor.tier == "possible" and not impostor.eligible_for_auto_follow
    assert "competing_claim" in real.reason_codes()
    assert "competing_claim" in impostor.reason_codes()
    text = "\n".join(match_lines(Translator("en"), impostor))
    assert "another account also claims @alice_b" in text
    fr = "\n".join(match_lines(Translator("fr"), real))
    assert "un autre compte revendique aussi @alice_b" in fr


def test_without_the_graph_an_uncorroborated_handle_facing_a_genuine_link_is_possible() -> None:
    found = by_did(resolve_conflicts([row(IMPOSTOR, None), row(REAL, None)]))
    assert found[IMPOSTOR.did].tier == "possible"
    assert found[REAL.did].tier == "possible"
    # a lone claim is not weighed here (the graph step judges it on its support)
    (alone,) = resolve_conflicts([row(IMPOSTOR, None)])
    assert alone.tier == "likely" and "competing_claim" not in alone.reason_codes()


def test_several_claimants_are_counted() -> None:
    other = BlueskyProfile("did:plc:o", "alice.example.org", "Alice", "x.com/alice_b")
    found = resolve_conflicts([row(IMPOSTOR, None), row(REAL, None), row(other, None)])
    assert all(("competing_claim", (("count", 2), ("name", "alice_b"))) in
               [(r.code, r.params) for r in m.reasons] for m in found)  # fmt: skip
    assert "2 other accounts also claim @alice_b" in match_lines(Translator("en"), found[0])[-1]


def test_of_two_corroborated_claims_the_better_supported_wins() -> None:
    other = BlueskyProfile("did:plc:other", "alice-b.example.org", "Alice", "ex-@alice_b")
    found = by_did(resolve_conflicts([row(IMPOSTOR, 9), row(other, 2)]))
    assert found[IMPOSTOR.did].tier == "likely"
    assert found[other.did].tier == "possible"
    # equal evidence: nobody can tell, both possible (R9)
    tied = resolve_conflicts([row(IMPOSTOR, 3), row(other, 3)])
    assert {m.tier for m in tied} == {"possible"}


def test_a_fan_account_is_evidence_against_not_a_rival() -> None:
    assert score_bluesky(ALICE, FAN) is None
    (real,) = resolve_conflicts([row(REAL, 4)])
    assert "competing_claim" not in real.reason_codes()


def test_bluesky_verification_is_strong_and_impersonation_a_veto() -> None:
    verified = BlueskyProfile("did:plc:v", "alice-b.bsky.social", "Alice Brown", "hi",
                              verified=True, verifier="bsky.app")  # fmt: skip
    (match,) = resolve_conflicts([row(verified, 0)])
    assert match.tier == "likely"
    assert "verified on Bluesky by bsky.app" in match_lines(Translator("en"), match)[-1]
    # verified, yet a rival corroborated by the graph with a genuine link: both stand, the
    # verified one first (Bluesky checked it)
    found = by_did(resolve_conflicts([row(verified, 0), row(REAL, 5)]))
    assert found[verified.did].tier == "likely" and found[REAL.did].tier == "possible"
    labelled = BlueskyProfile("did:plc:l", "alice-b.bsky.social", "Alice Brown", "x.com/alice_b",
                              labels=("impersonation",), verified=True)  # fmt: skip
    assert score_bluesky(ALICE, labelled) is None
    # verification alone (no link, not the handle) says nothing about the X account
    other = BlueskyProfile("did:plc:o", "brown.bsky.social", "Alice Brown", "", verified=True)
    assert score_bluesky(ALICE, other) is None


def test_the_users_decision_counts_whatever_the_tier() -> None:
    impostor, real = row(IMPOSTOR, 0), row(REAL, 0)
    decided = apply_decisions(
        resolve_conflicts([impostor, real]),
        {(42, "bluesky", REAL.did): "confirmed", (42, "bluesky", IMPOSTOR.did): "rejected"},
    )
    (kept,) = decided  # the rejected one never comes back
    assert kept.did == REAL.did and kept.tier == "possible" and kept.eligible_for_auto_follow


def test_a_rejection_made_before_the_did_was_known_still_holds() -> None:
    handle_only = Match(42, "alice_b", "bluesky", "alice-b.bsky.social", None, None,
                        "possible", (), "following")  # fmt: skip
    decisions: Decisions = {(42, "bluesky", "alice-b.bsky.social"): "rejected"}
    assert apply_decisions([handle_only], decisions) == []
    with_did = replace(handle_only, did="did:plc:x")
    assert apply_decisions([with_did], decisions) == []


def test_a_mastodon_account_named_by_a_demoted_impostor_is_no_surer() -> None:
    named = Match(42, "alice_b", "mastodon", "alice@fedi.example", None, "alice@fedi.example",
                  "likely", (Reason.of("mastodon_in_bluesky_bio", handle=IMPOSTOR.handle),
                             Reason.of("mastodon_links_back")), "following")  # fmt: skip
    found = {
        m.did or m.acct: m for m in resolve_conflicts([row(IMPOSTOR, 0), row(REAL, 4), named])
    }
    assert found[IMPOSTOR.did].tier == "possible"
    assert found["alice@fedi.example"].tier == "possible"
    # a parent that stays likely leaves it likely
    kept = {m.network: m for m in resolve_conflicts([row(IMPOSTOR, None), named])}
    assert kept["mastodon"].tier == "likely"


def test_what_an_appview_says_about_verification_is_read_warily() -> None:
    """A hostile or broken AppView: wrong types, huge lists, invalid issuers, no crash."""
    from chatbot.networks.bluesky import MAX_VERIFICATIONS, _profile

    base = {"did": "did:plc:v", "handle": "V.example.org"}
    valid = {"isValid": True, "issuerHandle": "Trusted.Example"}
    cases: list[tuple[object, tuple[bool, str | None]]] = [
        (None, (False, None)),
        ("valid", (False, None)),
        ({"verifiedStatus": "invalid", "verifications": [valid]}, (False, None)),
        ({"verifiedStatus": "valid", "verifications": [valid]}, (True, "trusted.example")),
        ({"verifiedStatus": "valid", "verifications": ["x", 3, None, valid]},
         (True, "trusted.example")),
        ({"verifiedStatus": "valid", "verifications": {"a": 1}}, (True, None)),
        ({"verifiedStatus": "valid",
          "verifications": [{"isValid": True, "issuerHandle": "not a handle\u202e"}]},
         (True, None)),
        ({"verifiedStatus": "valid",
          "verifications": [{"isValid": False}] * (10 * MAX_VERIFICATIONS) + [valid]},
         (True, None)),
    ]  # fmt: skip
    for state, expected in cases:
        profile = _profile({**base, "verification": state, "labels": ["x", {"val": 3}]})
        assert profile is not None
        assert (profile.verified, profile.verifier) == expected, state
    huge = _profile(
        {**base, "description": "x.com/a " * 100_000, "labels": [{"val": "a"}] * 10**5}
    )
    assert huge is not None and len(huge.description or "") <= 3000 and huge.labels == ("a",)


def test_the_claim_is_said_before_the_graph_says_why() -> None:
    real = row(REAL, 12)
    real = replace(real, reasons=(*real.reasons, Reason.of("graph_support", count=12)))
    found = by_did(resolve_conflicts([row(IMPOSTOR, 0), real]))
    assert found[REAL.did].reason_codes()[-2:] == ("competing_claim", "graph_support")
    assert found[IMPOSTOR.did].reason_codes()[-1] == "competing_claim"


def _on(x_id: int, name: str, handle: str, tier: str, *codes: str) -> Match:
    return Match(x_id, name, "bluesky", handle, "did:plc:shared", None, tier,  # type: ignore[arg-type]
                 tuple(Reason.of(c) for c in codes), "following", support=5)  # fmt: skip


def test_one_account_belongs_to_one_of_the_users_contacts() -> None:
    """R15: @annlee and @ann_lee are two people the user follows on X; both guess
    annlee.bsky.social, which the user's circle follows. It is @annlee's name itself, only
    a variant of @ann_lee's: /follow takes it for @annlee, never for @ann_lee too."""
    exact = _on(1, "annlee", "annlee.bsky.social", "likely", "handle_bsky_social")
    variant = _on(2, "ann_lee", "annlee.bsky.social", "likely", "handle_bsky_social")
    found = {m.x_id: m for m in resolve_conflicts([variant, exact])}
    assert found[1].tier == "likely"
    assert found[2].tier == "possible"
    note = Reason.of("other_contact_claims", name="annlee")
    assert note in found[2].reasons
    en, fr = Translator("en"), Translator("fr")
    assert en("match.reason.other_contact_claims", name="annlee") == (
        "this account is more likely that of @annlee, another of your contacts"
    )
    assert "@annlee" in fr("match.reason.other_contact_claims", name="annlee")
    # a verified row wins over any guess; its own tier is never touched
    proved = _on(2, "ann_lee", "annlee.bsky.social", "verified", "directory_verified")
    found = {m.x_id: m for m in resolve_conflicts([proved, exact])}
    assert (found[2].tier, found[1].tier) == ("verified", "possible")
    # no clear winner (two variants of one label): neither is followed unasked
    a = _on(3, "ann_l_ee", "annlee.bsky.social", "likely", "handle_bsky_social")
    found = {m.x_id: m for m in resolve_conflicts([variant, a])}
    assert found[2].tier == found[3].tier == "possible"
