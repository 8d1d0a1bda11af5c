"""Anti-spoofing: forged archives never make anyone follow an impostor; proofs are checked."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from chatbot.archive.model import ParsedArchive, id_array
from chatbot.matching import MemoryDirectory, match_archive
from chatbot.matching.model import Decisions, DirectoryEntry, Observations, Reason
from chatbot.matching.proofs import check_x_post, code_in_profile, make_code
from chatbot.matching.spoofing import archive_agreement, judge_entries, judge_entry
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
            # only the user's own word makes it followed (issue 12: a confirmed match is
            # followed whatever its tier); the forged proofs never do
            confirmed: Decisions = {(VICTIM, "bluesky", impostor.did): "confirmed"}
            again = await match_archive(follower, directory, *readers, decisions=confirmed)
            assert all(m.confirmed for m in again if m.eligible_for_auto_follow)
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


def test_org_vouch_counts_only_when_approved_and_never_alone_for_automatic_follows() -> None:
    """D4: an organisation's vouch proves the X side only when the bot's administrators
    approved the organisation, and even then a match is verified only when the owner of the
    new account proved it on their own row; alone it is "likely" (followed once confirmed)."""
    seen = _observations().seen
    vouch = DirectoryEntry(VICTIM, "victim", "bluesky", "v.bsky.social", "did:plc:v",
                           provenance="org_roster", provenance_detail="org:1",
                           x_proof="org_vouch")  # fmt: skip
    assert judge_entry(vouch, seen).tier == "possible"  # nobody approved this group
    approved = replace(vouch, vouched_by="Mairie de Testville")
    verdict = judge_entry(approved, seen)
    assert (verdict.tier, verdict.verified) == ("likely", False)
    assert [r.code for r in verdict.reasons] == ["directory_vouched", "new_side_unproved"]
    # the owner's own link, proved by the code in the bio: verified with the approved vouch
    owners = DirectoryEntry(VICTIM, "victim", "bluesky", "v.bsky.social", "did:plc:v",
                            new_account_proof="bio_code")  # fmt: skip
    verdicts = judge_entries([approved, owners], seen)
    assert [v.tier for v in verdicts] == ["likely", "verified"]
    assert [r.code for r in verdicts[1].reasons] == [
        "directory_verified", "new_proof_bio_code", "x_proof_org_vouch"
    ]  # fmt: skip
    assert verdicts[1].reasons[2].as_dict() == {"org": "Mairie de Testville"}
    # ... but not with an unapproved vouch, nor for another account, nor under a name the
    # archives tie to someone else
    assert [v.tier for v in judge_entries([vouch, owners], seen)] == ["possible", "possible"]
    elsewhere = replace(owners, did="did:plc:other", handle="other.bsky.social")
    assert judge_entries([approved, elsewhere], seen)[1].tier == "possible"
    wrong_name = replace(approved, x_username="mallory")
    assert [v.tier for v in judge_entries([wrong_name, owners], seen)] == [
        "possible", "possible"
    ]  # fmt: skip
    imported = replace(approved, provenance="csv_import")
    assert judge_entry(imported, seen).tier == "possible"


def test_the_viewers_own_archive_corroborates_for_them_only() -> None:
    """The oEmbed proof of @victim counts for a follower whose own archive ties the id to
    that name, even before other archives do; the claimant's own archive never counts."""
    empty = MemoryDirectory().seen
    link = DirectoryEntry(VICTIM, "victim", "bluesky", "v.bsky.social", "did:plc:v",
                          new_account_proof="bio_code", x_proof="oembed")  # fmt: skip
    assert judge_entry(link, empty).tier == "possible"
    verdict = judge_entry(link, empty, own={"Victim": 2})
    assert verdict.tier == "verified"
    assert verdict.reasons[-1] == Reason.of("own_archive_agrees", name="victim")
    assert judge_entry(link, empty, own={"someone_else": 1}).tier == "possible"
