"""The circle (chatbot/matching/graph_collect.py `Collector.widen`): the accounts the anchors
follow count as supporters, and a ring of impostors cannot bring itself into it."""

from __future__ import annotations

import pytest

from chatbot.matching import MemoryDirectory, match_archive
from chatbot.matching import graph_collect as gc
from chatbot.matching.model import Match
from chatbot.networks.types import BlueskyProfile
from devtools.matchworld_hard import HardParams, build_hard_world
from devtools.memnet import MemoryBluesky
from tests.matching.test_graph import _archive

ME = BlueskyProfile("did:plc:me", "me.bsky.social", "Me")
HUB = BlueskyProfile("did:plc:hub", "hub.bsky.social", "Hub")
FILLERS = [BlueskyProfile(f"did:plc:fill{i:02d}", f"fill{i:02d}.bsky.social") for i in range(30)]


def _net(*extra: BlueskyProfile) -> MemoryBluesky:
    """The user follows the hub; the hub follows 30 accounts that are not contacts."""
    net = MemoryBluesky([ME, HUB, *FILLERS, *extra])
    net.follow(ME.did, HUB.did)
    for filler in FILLERS:
        net.follow(HUB.did, filler.did)
    return net


async def _match(
    net: MemoryBluesky, names: dict[int, str], viewer: str | None
) -> dict[str, Match]:
    found = await match_archive(
        _archive(names), MemoryDirectory(), net, None, decisions={}, viewer=viewer
    )
    return {m.did or "": m for m in found}


async def test_accounts_the_anchors_follow_lift_a_real_person_two_steps_away() -> None:
    """kim moved to another handle with "formerly @kim on Twitter"; none of the user's
    contacts follow her, but two accounts that the hub (whom the user follows) follows do."""
    kim = BlueskyProfile("did:plc:kim", "kim-new.bsky.social", "Kim", "formerly @kim on Twitter")
    net = _net(kim)
    net.follow(FILLERS[0].did, kim.did)
    net.follow(FILLERS[1].did, kim.did)
    alone = await _match(net, {10: "kim"}, viewer=None)
    assert alone[kim.did].tier == "possible"  # no anchor: nothing to tell her apart
    net.calls.clear()
    found = await _match(net, {10: "kim"}, viewer=ME.did)
    assert (found[kim.did].tier, found[kim.did].support) == ("likely", 2)
    assert "graph_support" in found[kim.did].reason_codes()
    # one page of the user's follows, one of the hub's (the anchors'), one of kim's (lifted)
    assert net.calls["get_follows"] == 3


async def test_one_impostor_lifted_by_fooled_followers_cannot_bring_its_ring() -> None:
    """The attack: two accounts of the user's circle were fooled into following a copy of
    ann (who is not on Bluesky): it is lifted, that much is the bound. It then follows
    four more copies (of rob0-rob3, also not on Bluesky: exact X name as handle, an x.com
    link) that all follow each other. One lifted row adds nobody to the circle
    (`QUORUM` = 2): the ring stays possible. With a quorum of 1 the ring would pass."""
    ann = BlueskyProfile("did:plc:ann", "ann.bsky.social", "Ann", "x.com/ann")
    ring = [BlueskyProfile(f"did:plc:rob{i}", f"rob{i}.bsky.social", f"Rob {i}",
                           f"x.com/rob{i}") for i in range(4)]  # fmt: skip
    net = _net(ann, *ring)
    net.follow(FILLERS[0].did, ann.did)
    net.follow(FILLERS[1].did, ann.did)
    for a in ring:
        net.follow(ann.did, a.did)
        for b in ring:
            net.follow(a.did, b.did)
    names = {20: "ann"} | {30 + i: f"rob{i}" for i in range(4)}
    found = await _match(net, names, viewer=ME.did)
    assert (found[ann.did].tier, found[ann.did].support) == ("likely", 2)
    for copy in ring:
        assert found[copy.did].tier == "possible", found[copy.did]
        assert "graph_few" in found[copy.did].reason_codes()
    # the same attack against a quorum of one: the ring joins the circle and passes
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gc, "QUORUM", 1)
        weak = await _match(net, names, viewer=ME.did)
    assert all(weak[copy.did].tier == "likely" for copy in ring)


async def test_the_circle_reads_are_bounded() -> None:
    """A user who follows 1,000 accounts: one page of follows for at most `CIRCLE_SOURCES`
    anchors, within the run's request bound."""
    many = [BlueskyProfile(f"did:plc:m{i:04d}", f"m{i:04d}.bsky.social") for i in range(1000)]
    net = MemoryBluesky([ME, *many])
    for who in many:
        net.follow(ME.did, who.did)
    collector = gc.Collector(net, frozenset())
    await collector.widen([m.did for m in many])
    assert net.calls["get_follows"] == gc.CIRCLE_SOURCES
    assert len(collector.circle) == gc.CIRCLE_SOURCES
    capped = gc.Collector(net, frozenset(), max_requests=10)
    await capped.widen([m.did for m in many])
    assert capped.requests == 10


async def test_on_the_harder_world_the_circle_finds_more_people_and_no_copy() -> None:
    """The same small world with and without the circle (`CIRCLE` off: the graph as it
    was before it), the user without a connected account: more real people likely, every
    row /follow takes unasked still right."""
    world = build_hard_world(
        HardParams(seed=5, communities=20, following=300, followers=200, strangers=800)
    )

    async def unasked(circle: bool) -> list[Match]:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(gc, "CIRCLE", circle)
            found = await match_archive(
                world.archive, world.directory, world.bluesky, None, decisions={}
            )
        return [m for m in found if m.tier in ("verified", "likely")]

    def right(rows: list[Match]) -> int:
        return sum(m.target in world.truth.get((m.x_id, m.network), ()) for m in rows)

    before, after = await unasked(False), await unasked(True)
    assert right(after) >= right(before) + 50  # 15 -> 110 when written
    assert right(after) == len(after)  # no copy, no namesake, nobody else
    assert not any(m.target in world.impostor_targets for m in after)
