"""The social graph as evidence (chatbot/matching/graph.py): the rule, the bounded collector,
and the engine on the in-memory network and on the harder world."""

from __future__ import annotations

from collections import Counter

from chatbot.archive.model import Owner, ParsedArchive, id_array
from chatbot.i18n import translator
from chatbot.matching import MemoryDirectory, match_archive
from chatbot.matching import graph as g
from chatbot.matching import graph_collect as gc
from chatbot.matching.model import Match, Reason, Tier
from chatbot.matching.present import reason_text
from chatbot.networks.types import BlueskyProfile
from devtools.matchworld_hard import HardParams, build_hard_world
from devtools.memnet import MemoryBluesky


def _row(x_id: int, did: str, tier: Tier, *codes: str) -> Match:
    return Match(
        x_id=x_id, x_username=f"u{x_id}", network="bluesky", handle=f"{did[8:]}.test",
        did=did, acct=None, tier=tier, reasons=tuple(Reason.of(c) for c in codes),
        direction="following",
    )  # fmt: skip


def test_g1_g2_g3_lift_the_supported_and_drop_the_unsupported() -> None:
    rows = [
        _row(1, "did:plc:impostor", "likely", "bio_links_x", "handle_bsky_social"),
        _row(1, "did:plc:real", "possible", "bio_links_x"),
        _row(2, "did:plc:alone", "possible", "handle_only"),
        _row(3, "did:plc:few", "possible", "bio_links_x"),
        _row(4, "did:plc:reused", "possible", "bio_links_x", "name_reused"),
        _row(5, "did:plc:verified", "verified", "directory_verified"),
        _row(5, "did:plc:other", "possible", "handle_only"),
    ]
    support = {"did:plc:impostor": 0, "did:plc:real": 7, "did:plc:alone": 2, "did:plc:few": 1,
               "did:plc:reused": 9, "did:plc:other": 0}  # fmt: skip
    out = {m.did: m for m in g.apply_support(rows, support)}
    assert out["did:plc:real"].tier == "likely"  # G3
    assert Reason.of("graph_support", count=7) in out["did:plc:real"].reasons  # G1
    assert out["did:plc:impostor"].tier == "possible"  # G2
    assert Reason.of("graph_rival", count=7) in out["did:plc:impostor"].reasons
    assert out["did:plc:alone"].tier == "likely"  # LIFT supporters, no rival
    assert out["did:plc:few"].tier == "possible"  # below the lift
    assert out["did:plc:reused"].tier == "possible"  # R7 is never lifted
    assert "graph_support" not in out["did:plc:other"].reason_codes()  # 0: no reason
    assert out["did:plc:verified"].tier == "verified"
    assert out["did:plc:impostor"].support == 0 and out["did:plc:verified"].support is None


def test_g4_an_uncorroborated_copyable_likely_row_drops_when_the_circle_is_known() -> None:
    copy = _row(1, "did:plc:copy", "likely", "bio_links_x", "handle_bsky_social")
    vouched = _row(2, "did:plc:org", "likely", "source_org_roster")
    bound = _row(3, "did:plc:bound", "likely", "bio_links_x", "handle_custom_domain")
    rows = [copy, vouched, bound]
    support = {"did:plc:copy": 1, "did:plc:org": 0, "did:plc:bound": 0}
    exact = {"did:plc:copy", "did:plc:org"}  # bound: a lower bound only (pages capped)
    out = {m.did: m for m in g.apply_support(rows, support, known=40, exact=exact)}
    assert out["did:plc:copy"].tier == "possible"
    assert Reason.of("graph_few", count=40) in out["did:plc:copy"].reasons
    assert out["did:plc:org"].tier == "likely"  # an organisation's vouch is not copyable
    assert out["did:plc:bound"].tier == "likely"  # 0 may be wrong: not read to the end
    few = g.apply_support(rows, support, known=g.G4_MIN_KNOWN - 1, exact=exact)
    assert {m.tier for m in few} == {"likely"}  # too few known accounts to tell
    en = translator("en")
    text = reason_text(en, Reason.of("graph_few", count=40))
    assert text.startswith("followed by at most one of the 40 accounts in your circle")


def test_no_lift_when_a_rival_was_not_looked_at_or_is_close() -> None:
    rows = [_row(1, "did:plc:a", "possible", "bio_links_x"), _row(1, "did:plc:b", "possible")]
    assert {m.tier for m in g.apply_support(rows, {"did:plc:a": 5})} == {"possible"}
    close = g.apply_support(rows, {"did:plc:a": 5, "did:plc:b": 3})
    assert {m.tier for m in close} == {"possible"}
    assert not any("graph_rival" in m.reason_codes() for m in close)


def test_known_accounts_are_settled_matches_and_the_users_follows() -> None:
    rows = [
        _row(1, "did:plc:v", "verified"),
        _row(2, "did:plc:l", "likely"),
        _row(3, "did:plc:c1", "likely"),  # contested: not known
        _row(3, "did:plc:c2", "possible"),
        _row(4, "did:plc:p", "possible"),
    ]
    known = g.known_accounts(rows, ["did:plc:mine"])
    assert set(known) == {"did:plc:v", "did:plc:l", "did:plc:mine"}
    many = [f"did:plc:f{i}" for i in range(3 * g.MAX_KNOWN)]  # a user who follows thousands
    capped = g.known_accounts(rows, many)
    assert len(capped) == g.MAX_KNOWN and {"did:plc:v", "did:plc:l"} <= set(capped)
    assert [d for d, _ in g.candidates(rows)][:2] in (
        ["did:plc:c1", "did:plc:c2"],
        ["did:plc:c2", "did:plc:c1"],
    )
    assert "did:plc:v" not in {d for d, _ in g.candidates(rows)}


def _net(followers: int, known: list[str]) -> MemoryBluesky:
    net = MemoryBluesky()
    for i in range(followers):
        net.follow(f"did:plc:f{i:05d}", "did:plc:star")
    for did in known[:2]:
        net.follow(did, "did:plc:star")
    return net


async def test_the_collector_stops_early_and_stays_within_its_bounds() -> None:
    known = [f"did:plc:k{i:03d}" for i in range(40)]
    net = _net(1000, known)
    for did in known[2:6]:
        net.follow(did, "did:plc:star")  # 6 known followers, the newest first
    collector = gc.Collector(net, frozenset(known))
    assert await collector.count("did:plc:star", g.LIFT) >= g.LIFT
    assert net.calls == {"get_followers": 1}  # clear on the first page: stop
    # a popular account, few known followers deep in the list: relationships, 30 a call
    quiet = _net(1000, [])
    for did in known[:2]:
        quiet.follow(did, "did:plc:star")
    for i in range(300):
        quiet.follow(f"did:plc:late{i:04d}", "did:plc:star")
    collector = gc.Collector(quiet, frozenset(known))
    assert await collector.count("did:plc:star", 3) == 2
    assert quiet.calls == {"get_followers": 1, "get_relationships": 2}
    # many known accounts: pages instead, at most FOLLOWER_PAGES
    many = frozenset(f"did:plc:m{i:04d}" for i in range(500))
    paged = _net(1000, [])
    collector = gc.Collector(paged, many)
    assert await collector.count("did:plc:star", g.LIFT) == 0
    assert paged.calls == {"get_followers": gc.FOLLOWER_PAGES}
    # the run's request bound
    capped = gc.Collector(paged, many, max_requests=2)
    await capped.run([("did:plc:star", False), ("did:plc:x", False), ("did:plc:y", False)])
    assert capped.requests == 2 and len(capped.support) <= 2


async def test_an_outage_keeps_the_tiers_it_had() -> None:
    net = MemoryBluesky()
    net.down = True
    rows = [_row(1, "did:plc:v", "verified"), _row(2, "did:plc:p", "possible", "bio_links_x")]
    assert await gc.graph_evidence(rows, net) == rows


def _archive(names: dict[int, str]) -> ParsedArchive:
    parsed = ParsedArchive(
        era="manifest", owner=Owner(account_id="1", username="me"),
        following=id_array(sorted(names)),
    )  # fmt: skip
    parsed.handles = {x_id: Counter({name: 2}) for x_id, name in names.items()}
    return parsed


async def test_the_engine_prefers_the_account_the_circle_follows() -> None:
    """The impostor took the X name, the display name and an x.com link, and follows the
    circle; the real person, on another handle with "formerly @zoe on Twitter", is followed
    by it. Before the graph the impostor was likely and the real one possible."""
    circle = [BlueskyProfile(f"did:plc:c{i}", f"pal{i}.bsky.social", f"Pal {i}",
                             f"x.com/pal{i}") for i in range(4)]  # fmt: skip
    real = BlueskyProfile("did:plc:zoe", "zoe-new.bsky.social", "Zoe", "formerly @zoe on Twitter")
    impostor = BlueskyProfile("did:plc:imp", "zoe.bsky.social", "Zoe", "x.com/zoe")
    net = MemoryBluesky([*circle, real, impostor])
    for a in circle:
        for b in circle:
            net.follow(a.did, b.did)
        net.follow(a.did, real.did)
        net.follow(impostor.did, a.did)
    names = {10 + i: f"pal{i}" for i in range(4)} | {20: "zoe"}
    found = await match_archive(_archive(names), MemoryDirectory(), net, None, decisions={})
    by_did = {m.did: m for m in found}
    assert by_did["did:plc:zoe"].tier == "likely"
    assert by_did["did:plc:imp"].tier == "possible"
    en, fr = translator("en"), translator("fr")
    reason = Reason.of("graph_support", count=4)
    assert reason in by_did["did:plc:zoe"].reasons
    assert reason_text(en, reason) == "followed by 4 accounts in your circle"
    assert reason_text(fr, reason) == "suivi par 4 comptes de votre entourage"
    assert net.calls["get_followers"] <= 6  # one page per candidate


async def test_on_the_harder_world_the_graph_drops_the_copies_and_lifts_only_real_people() -> None:
    world = build_hard_world(
        HardParams(seed=5, communities=20, following=300, followers=200, strangers=800)
    )
    plain = await match_archive(
        world.archive, world.directory, _NoGraph(world.bluesky), None, decisions={}
    )
    world.bluesky.calls.clear()
    found = await match_archive(
        world.archive, world.directory, world.bluesky, None, decisions={}, viewer=world.owner_did
    )

    def unasked(rows: list[Match]) -> list[Match]:
        return [m for m in rows if m.tier in ("verified", "likely")]

    def copies(rows: list[Match]) -> int:
        return sum(m.target in world.impostor_targets for m in unasked(rows))

    def right(rows: list[Match]) -> int:
        return sum(m.target in world.truth.get((m.x_id, m.network), ()) for m in unasked(rows))

    assert copies(plain) >= 5 and copies(found) == 0  # main follows copies; the graph not
    assert right(found) > right(plain)  # with the user's own follows, more real people
    lifted = [m for m in found if m.tier == "likely" and (m.support or 0) >= g.LIFT]
    assert lifted and all(m.target not in world.impostor_targets for m in lifted)
    graph = sum(world.bluesky.calls.get(k, 0) for k in ("get_followers", "get_relationships"))
    assert 0 < graph <= gc.MAX_REQUESTS


class _NoGraph:
    def __init__(self, inner: MemoryBluesky) -> None:
        self.inner = inner

    async def get_profiles(self, actors, *, fresh=False):  # type: ignore[no-untyped-def]
        return await self.inner.get_profiles(actors, fresh=fresh)

    async def search_actors(self, query, limit=10):  # type: ignore[no-untyped-def]
        return await self.inner.search_actors(query, limit)

    async def resolve_handle(self, handle):  # type: ignore[no-untyped-def]
        return await self.inner.resolve_handle(handle)


async def test_a_ring_of_impostors_that_follow_each_other_counts_for_nothing() -> None:
    """The attack: four impostors copy four of the user's contacts who are not on Bluesky
    (exact X name as handle, an x.com link: each an uncontested likely row, so a known
    account), follow each other, and back a fifth who copies zoe. Only what the anchors
    (the user's own follows) reach counts: the ring drops, the real zoe wins."""
    friends = [BlueskyProfile(f"did:plc:friend{i}", f"friend{i}.bsky.social") for i in range(30)]
    pals = [BlueskyProfile(f"did:plc:pal{i}", f"pal{i}.bsky.social", f"Pal {i}",
                           f"x.com/pal{i}") for i in range(4)]  # fmt: skip
    ring = [BlueskyProfile(f"did:plc:ring{i}", f"ring{i}.bsky.social", f"Ring {i}",
                           f"x.com/ring{i}") for i in range(4)]  # fmt: skip
    real = BlueskyProfile("did:plc:zoe", "zoe-new.bsky.social", "Zoe", "formerly @zoe on Twitter")
    copy = BlueskyProfile("did:plc:copy", "zoe.bsky.social", "Zoe", "x.com/zoe")
    me = BlueskyProfile("did:plc:me", "me.bsky.social")
    net = MemoryBluesky([*friends, *pals, *ring, real, copy, me])
    for friend in friends:
        net.follow(me.did, friend.did)
    net.follow(me.did, pals[0].did)
    for a in pals:
        for b in pals:
            net.follow(a.did, b.did)
        net.follow(a.did, real.did)
    for a in ring:
        for b in ring:
            net.follow(a.did, b.did)
        net.follow(a.did, copy.did)
    names = {10 + i: f"pal{i}" for i in range(4)} | {20 + i: f"ring{i}" for i in range(4)}
    names[30] = "zoe"
    found = await match_archive(
        _archive(names), MemoryDirectory(), net, None, decisions={}, viewer=me.did
    )
    by_did = {m.did: m for m in found}
    assert by_did[real.did].tier == "likely" and by_did[real.did].support == 4
    assert by_did[copy.did].tier == "possible" and by_did[copy.did].support == 0
    for impostor in ring:
        assert by_did[impostor.did].tier == "possible"
        assert "graph_few" in by_did[impostor.did].reason_codes()
    for pal in pals:
        assert by_did[pal.did].tier == "likely"
