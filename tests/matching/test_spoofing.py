"""Anti-spoofing: forged archives never make anyone follow an impostor; proofs are checked."""

from __future__ import annotations

from collections import Counter

from chatbot.archive.model import ParsedArchive, id_array
from chatbot.matching import MemoryDirectory, match_archive
from chatbot.matching.model import Decisions, DirectoryEntry, Observations
from chatbot.matching.proofs import check_x_post, code_in_profile, make_code
from chatbot.matching.spoofing import archive_agreement, judge_entry
from chatbot.networks.types import BlueskyProfile
from devtools.memnet import MemoryBluesky, MemoryOembed

VICTIM, MALLORY = 1_000_001, 2_000_002


def _observations() -> MemoryDirectory:
    directory = MemoryDirectory()
    directory.observe(VICTIM, "victim", 4)  # four users' archives mention @victim with its id
    directory.observe(MALLORY, "mallory", 3)
    return directory


def test_agreement_rules() -> None:
    seen = _observations().seen
    assert archive_agreement(VICTIM, "Victim", seen) == "corroborated"
    assert archive_agreement(VICTIM, "mallory", seen) == "contradicted"  # tied to another id
    assert archive_agreement(VICTIM, "victim_new", seen) == "unknown"  # renamed, not yet seen
    assert archive_agreement(VICTIM, "victim", seen, min_observers=5) == "unknown"
    minority = Observations({7: {"a": 10, "b": 2}}, {"a": {7: 10}, "b": {7: 2}})
    assert archive_agreement(7, "b", minority) == "unknown"


async def test_a_forged_account_js_never_yields_an_eligible_match() -> None:
    """Mallory forges an archive with the victim's X id, links her Bluesky by logging in,
    even posts the bot's code from her own X account and mentions the victim under her
    name in forged tweets. Whoever follows the victim must never auto-follow her."""
    directory = _observations()
    impostor = BlueskyProfile("did:plc:mallory", "victim-real.bsky.social", "Victim", "hi")
    bluesky = MemoryBluesky([impostor])
    forged = [
        DirectoryEntry(VICTIM, "victim", "bluesky", impostor.handle, impostor.did,
                       new_account_proof="login"),
        DirectoryEntry(VICTIM, "mallory", "bluesky", impostor.handle, impostor.did,
                       new_account_proof="login", x_proof="oembed"),
        DirectoryEntry(VICTIM, "victim", "bluesky", impostor.handle, impostor.did,
                       provenance="csv_import"),
    ]  # fmt: skip
    directory.observe(VICTIM, "mallory", 1)  # the forged archive's own mention
    follower = ParsedArchive(era="manifest", following=id_array([VICTIM]))
    follower.handles = {VICTIM: Counter({"victim": 2})}
    for entry in forged:
        directory.by_id = {VICTIM: [entry]}
        for readers in ((bluesky, None), (None, None)):
            matches = await match_archive(follower, directory, *readers, decisions={})
            for match in matches:
                assert not match.eligible_for_auto_follow, (entry, match)
                assert match.tier == "possible"
                if match.did == impostor.did:
                    assert "directory_claimed" in match.reason_codes()
            confirmed: Decisions = {(VICTIM, "bluesky", impostor.did): "confirmed"}
            again = await match_archive(follower, directory, *readers, decisions=confirmed)
            assert not any(m.eligible_for_auto_follow for m in again)
    # the contradicted claim (Mallory's own name) is not even shown
    directory.by_id = {VICTIM: [forged[1]]}
    assert await match_archive(follower, directory, bluesky, None, decisions={}) == []


async def test_the_genuine_owner_with_both_proofs_is_verified() -> None:
    directory = _observations()
    genuine = BlueskyProfile("did:plc:victim", "victim.example.org", "Victim")
    directory.add(
        DirectoryEntry(VICTIM, "victim", "bluesky", genuine.handle, genuine.did,
                       new_account_proof="bio_code", x_proof="oembed")
    )  # fmt: skip
    follower = ParsedArchive(era="manifest", followers=id_array([VICTIM]))
    (match,) = await match_archive(
        follower, directory, MemoryBluesky([genuine]), None, decisions={}
    )
    assert match.tier == "verified" and match.eligible_for_auto_follow
    assert match.direction == "follower"
    assert match.reason_codes()[0] == "directory_verified"


async def test_x_post_check_through_oembed() -> None:
    seen = _observations().seen
    oembed = MemoryOembed()
    code = make_code()
    good = oembed.publish("Victim", 11, f"linking my accounts {code}")
    assert (await check_x_post(oembed, good, code=code, x_id=VICTIM, observations=seen)).ok
    forged = oembed.publish("mallory", 12, f"{code}")
    result = await check_x_post(oembed, forged, code=code, x_id=VICTIM, observations=seen)
    assert result.outcome == "name_contradicted"
    unknown = oembed.publish("newcomer", 13, code)
    result = await check_x_post(oembed, unknown, code=code, x_id=VICTIM, observations=seen)
    assert result.outcome == "name_not_observed"
    other_code = oembed.publish("victim", 14, "xb-aaaaaaaaaa")
    result = await check_x_post(oembed, other_code, code=code, x_id=VICTIM, observations=seen)
    assert result.outcome == "code_missing"
    missing = "https://x.com/victim/status/99"
    result = await check_x_post(oembed, missing, code=code, x_id=VICTIM, observations=seen)
    assert result.outcome == "not_found"
    result = await check_x_post(oembed, "https://evil.example/x", code=code, x_id=VICTIM,
                                observations=seen)  # fmt: skip
    assert result.outcome == "bad_url"


def test_new_account_code_in_bio() -> None:
    code = make_code()
    assert len(code) == 13 and code != make_code()
    assert code_in_profile(BlueskyProfile("did:plc:a", "a.bsky.social", None, f"hi {code}"), code)
    assert not code_in_profile(BlueskyProfile("did:plc:a", "a.bsky.social", None, "hi"), code)


def test_org_vouch_proves_only_the_x_side_and_only_for_rosters() -> None:
    seen = _observations().seen
    roster = DirectoryEntry(VICTIM, "victim", "bluesky", "v.bsky.social", "did:plc:v",
                            provenance="org_roster", new_account_proof="bio_code",
                            x_proof="org_vouch")  # fmt: skip
    assert judge_entry(roster, seen).verified
    imported = DirectoryEntry(VICTIM, "victim", "bluesky", "v.bsky.social", "did:plc:v",
                              provenance="csv_import", new_account_proof="bio_code",
                              x_proof="org_vouch")  # fmt: skip
    assert not judge_entry(imported, seen).verified
    wrong_name = DirectoryEntry(VICTIM, "mallory", "bluesky", "v.bsky.social", "did:plc:v",
                                provenance="org_roster", new_account_proof="login",
                                x_proof="org_vouch")  # fmt: skip
    assert not judge_entry(wrong_name, seen).verified
