"""`PublicAppView` against a real local AT Protocol network (@atproto/dev-env).

The dev AppView is eventually consistent (accounts are polled until visible) and its
search matches handle substrings only, so searches here use handles.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from chatbot.networks.bluesky import PublicAppView
from chatbot.networks.types import BlueskyReader
from tests.servers.atproto import Account, AtprotoNetwork
from tests.servers.egress import local_egress

pytestmark = [pytest.mark.server, pytest.mark.slow]


@dataclass
class World:
    tag: str
    alice: Account  # bio names her old X handle
    bob: Account  # bio names his Mastodon account
    mallory: Account  # labelled "impersonation"
    crowd: list[Account]  # many accounts, for batching


@pytest.fixture(scope="module")
def world(atproto_network: AtprotoNetwork) -> World:
    net = atproto_network
    tag = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(5))
    alice = net.create_account(
        f"alice-{tag}", display_name="Alice Example", description="formerly @alice_x on Twitter"
    )
    bob = net.create_account(
        f"bob-{tag}", display_name="Bob", description="Also @bob@mastodon.example, say hi"
    )
    mallory = net.create_account(f"mallory-{tag}", display_name="Alice Example")
    crowd = [net.create_account(f"crowd{i:02d}-{tag}") for i in range(28)]
    everyone = [alice, bob, mallory, *crowd]
    net.wait_for_profiles([a.did for a in everyone])
    net.label(mallory.did, "impersonation")
    return World(tag, alice, bob, mallory, crowd)


@pytest.fixture
async def reader(atproto_network: AtprotoNetwork) -> AsyncIterator[PublicAppView]:
    appview = PublicAppView(
        atproto_network.appview_url, resolver_url=atproto_network.pds_url, egress=local_egress()
    )
    yield appview
    await appview.aclose()


def test_public_appview_satisfies_the_protocol() -> None:
    reader: BlueskyReader = PublicAppView("http://127.0.0.1:9")
    assert reader is not None


async def test_get_profiles_in_batches_of_25(world: World, reader: PublicAppView) -> None:
    actors = [a.handle for a in world.crowd] + [world.alice.did, f"nobody-{world.tag}.test"]
    profiles = await reader.get_profiles(actors)
    assert reader.http.requests == 2  # 30 distinct actors: 25 + 5
    assert [p.did for p in profiles] == [a.did for a in world.crowd] + [world.alice.did]
    assert len({p.did for p in profiles}) == len(profiles)


async def test_profile_fields_and_bio_cross_links(world: World, reader: PublicAppView) -> None:
    alice, bob = await reader.get_profiles(["@" + world.alice.handle.upper(), world.bob.did])
    assert alice.did == world.alice.did
    assert alice.handle == world.alice.handle
    assert alice.display_name == "Alice Example"
    assert alice.description == "formerly @alice_x on Twitter"
    assert alice.labels == ()
    assert bob.description is not None and "@bob@mastodon.example" in bob.description


async def test_missing_and_invalid_actors_are_omitted(world: World, reader: PublicAppView) -> None:
    assert await reader.get_profiles([f"ghost-{world.tag}.test", "not a handle!", ""]) == []
    assert reader.http.requests == 1  # the invalid ones never reach the network


async def test_cache_hits_avoid_requests(world: World, reader: PublicAppView) -> None:
    first = await reader.get_profiles([world.alice.handle, f"ghost-{world.tag}.test"])
    sent = reader.http.requests
    # found (by handle, and by DID through the same profile) and missing: all cached
    again = await reader.get_profiles(
        [world.alice.handle, world.alice.did, f"ghost-{world.tag}.test"]
    )
    assert again == first
    assert reader.http.requests == sent
    assert reader.profiles.hits >= 3
    await reader.resolve_handle(world.bob.handle)
    resolved = reader.resolver.requests
    assert await reader.resolve_handle(world.bob.handle) == world.bob.did
    assert reader.resolver.requests == resolved


async def test_labels_are_kept(world: World, reader: PublicAppView) -> None:
    (mallory,) = await reader.get_profiles([world.mallory.did])
    assert "impersonation" in mallory.labels
    found = await reader.search_actors(f"mallory-{world.tag}")
    assert [p.labels for p in found] == [mallory.labels]


async def test_search_actors_by_handle(world: World, reader: PublicAppView) -> None:
    found = await reader.search_actors(f"alice-{world.tag}", limit=5)
    assert [p.did for p in found] == [world.alice.did]
    assert found[0].description == "formerly @alice_x on Twitter"
    crowd = await reader.search_actors(f"-{world.tag}", limit=100)
    assert len(crowd) == 31
    assert await reader.search_actors(f"zzz-nobody-{world.tag}") == []
    assert await reader.search_actors("   ") == []
    sent = reader.http.requests
    await reader.search_actors(f"alice-{world.tag}", limit=5)  # cached
    await reader.get_profiles([world.alice.did])  # primed by the search
    assert reader.http.requests == sent


@pytest.mark.parametrize("via_pds", [False, True])
async def test_resolve_handle(
    world: World, atproto_network: AtprotoNetwork, via_pds: bool
) -> None:
    net = atproto_network
    reader = PublicAppView(
        net.appview_url, resolver_url=net.pds_url if via_pds else None, egress=local_egress()
    )
    try:
        assert await reader.resolve_handle(world.alice.handle) == world.alice.did
        assert await reader.resolve_handle("@" + world.bob.handle) == world.bob.did
        assert await reader.resolve_handle(f"ghost-{world.tag}.test") is None
        assert await reader.resolve_handle("not a handle") is None
        assert await reader.resolve_handle(world.alice.did) == world.alice.did
        assert reader.resolver.requests == 3
    finally:
        await reader.aclose()
