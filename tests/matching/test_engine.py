"""`match_archive`: both directions, exclusions, decisions, offline mode, Mastodon, Bridgy Fed."""

from __future__ import annotations

from collections import Counter

import pytest

from chatbot.archive.model import Owner, ParsedArchive, id_array
from chatbot.matching import MemoryDirectory, match_archive
from chatbot.matching.guesses import unchecked_guesses
from chatbot.matching.model import Decisions, DirectoryEntry
from chatbot.networks.types import BlueskyProfile, MastodonAccount, NetworkUnavailable
from devtools.matchworld import WorldParams, build_world
from devtools.memnet import MemoryBluesky, MemoryMastodon

FRIEND, FAN, MUTUAL, BLOCKED, MUTED, OWNER = 11, 12, 13, 14, 15, 16


def _archive() -> ParsedArchive:
    parsed = ParsedArchive(
        era="manifest",
        owner=Owner(account_id=str(OWNER), username="me"),
        following=id_array([FRIEND, MUTUAL, MUTED, OWNER]),
        followers=id_array([FAN, MUTUAL, BLOCKED]),
        blocked=id_array([BLOCKED]),
        muted=id_array([MUTED]),
    )
    parsed.handles = {
        x: Counter({name: 2})
        for x, name in [(FRIEND, "friend"), (FAN, "fan_one"), (MUTUAL, "mutual"),
                        (BLOCKED, "blocked"), (MUTED, "muted"), (OWNER, "me")]
    }  # fmt: skip
    return parsed


def _bluesky() -> MemoryBluesky:
    return MemoryBluesky(
        [
            BlueskyProfile(f"did:plc:{name}", f"{name.replace('_', '-')}.bsky.social",
                           name.title(), f"x.com/{name} 🐘 @{name}@old.social")
            for name in ("friend", "fan_one", "mutual", "blocked", "muted", "me")
        ]
    )  # fmt: skip


def _mastodon() -> MemoryMastodon:
    mastodon = MemoryMastodon()
    mastodon.add(MastodonAccount("friend@old.social", "u", moved_to="friend@new.social"))
    mastodon.add(MastodonAccount("friend@new.social", "u", note="x.com/friend"))
    mastodon.add(MastodonAccount("mutual@old.social", "u"))
    return mastodon


async def test_both_directions_and_never_blocked_muted_or_self() -> None:
    matches = await match_archive(
        _archive(), MemoryDirectory(), _bluesky(), _mastodon(), decisions={}
    )
    bluesky = {m.handle: m for m in matches if m.network == "bluesky"}
    assert set(bluesky) == {"friend.bsky.social", "fan-one.bsky.social", "mutual.bsky.social"}
    assert bluesky["friend.bsky.social"].direction == "following"
    assert bluesky["fan-one.bsky.social"].direction == "follower"
    assert bluesky["mutual.bsky.social"].direction == "both"
    assert all(m.tier == "likely" for m in bluesky.values())
    assert not any(m.x_id in (BLOCKED, MUTED, OWNER) for m in matches)


async def test_mastodon_from_bluesky_bios_follows_moves() -> None:
    matches = await match_archive(
        _archive(), MemoryDirectory(), _bluesky(), _mastodon(), decisions={}
    )
    mastodon = {m.acct: m for m in matches if m.network == "mastodon"}
    assert set(mastodon) == {"friend@new.social", "mutual@old.social"}
    friend = mastodon["friend@new.social"]
    assert friend.tier == "likely"  # its bio links back to the X account
    assert {"moved", "mastodon_links_back"} <= set(friend.reason_codes())
    assert mastodon["mutual@old.social"].tier == "possible"


async def test_decisions_are_respected() -> None:
    parsed = _archive()
    decisions: Decisions = {
        (FRIEND, "bluesky", "did:plc:friend"): "rejected",
        (MUTUAL, "bluesky", "did:plc:mutual"): "confirmed",
    }
    matches = await match_archive(parsed, MemoryDirectory(), _bluesky(), None, decisions=decisions)
    by_x = {m.x_id: m for m in matches if m.network == "bluesky"}
    assert FRIEND not in by_x
    assert by_x[MUTUAL].confirmed and by_x[MUTUAL].eligible_for_auto_follow
    assert not by_x[FAN].eligible_for_auto_follow


async def test_offline_uses_the_directory_alone_and_lists_guesses_apart() -> None:
    directory = MemoryDirectory()
    directory.add(
        DirectoryEntry(FAN, "fan_one", "mastodon", "fan@ex.social", acct="fan@ex.social")
    )
    parsed = _archive()
    matches = await match_archive(parsed, directory, None, None, decisions={})
    (claimed,) = matches  # no handle guessed from a name is a match (issue 12)
    assert claimed.acct == "fan@ex.social" and "directory_claimed" in claimed.reason_codes()
    guesses = {g.handle: g for g in unchecked_guesses(parsed, matches)}
    assert set(guesses) == {"friend.bsky.social", "fan-one.bsky.social", "mutual.bsky.social"}
    assert guesses["fan-one.bsky.social"].x_username == "fan_one"


async def test_bridgy_handles_only_when_they_resolve() -> None:
    directory = MemoryDirectory()
    for x_id, acct in [(FRIEND, "friend@fedi.social"), (FAN, "fan@fedi.social")]:
        directory.add(DirectoryEntry(x_id, None, "mastodon", acct, acct=acct))
    bridged = BlueskyProfile("did:plc:bridged", "friend.fedi.social.ap.brid.gy", "Friend")
    parsed = ParsedArchive(era="manifest", following=id_array([FRIEND, FAN]))
    matches = await match_archive(parsed, directory, MemoryBluesky([bridged]), None, decisions={})
    bluesky = [m for m in matches if m.network == "bluesky"]
    assert [(m.x_id, m.did) for m in bluesky] == [(FRIEND, "did:plc:bridged")]
    assert "bridged_account" in bluesky[0].reason_codes()


async def test_a_network_outage_is_reported_not_hidden_in_partial_results() -> None:
    bluesky = _bluesky()
    bluesky.down = True
    mastodon = _mastodon()
    mastodon.down = True
    directory = MemoryDirectory()
    directory.add(DirectoryEntry(FRIEND, "friend", "bluesky", "friend.bsky.social", "did:x"))
    with pytest.raises(NetworkUnavailable):
        await match_archive(_archive(), directory, bluesky, mastodon, decisions={})
    bluesky.down = mastodon.down = False
    assert await match_archive(_archive(), directory, bluesky, mastodon, decisions={})


@pytest.mark.parametrize("seed", [3, 11])
async def test_small_world_meets_the_targets(seed: int) -> None:
    world = build_world(
        WorldParams(seed=seed, population=2500, following=400, followers=300, strangers=1500)
    )
    matches = await match_archive(
        world.archive, world.directory, world.bluesky, world.mastodon, decisions={}
    )
    right = {
        (m.x_id, m.network)
        for m in matches
        if m.target in world.truth.get((m.x_id, m.network), ())
    }
    verified = [m for m in matches if m.tier == "verified"]
    assert verified and all(m.target in world.truth[(m.x_id, m.network)] for m in verified)
    assert not any(m.target in world.impostor_targets for m in verified)
    excluded = set(world.archive.blocked) | set(world.archive.muted)
    assert not any(m.x_id in excluded for m in matches)
    assert len(right & world.findable_directory) >= 0.95 * len(world.findable_directory)
    assert len(right & world.findable_handle) >= 0.8 * len(world.findable_handle)
