"""The ground truth of a matching world: what a perfect matcher could find, and how.

`mark_findable` fills `World.findable_directory` (a usable directory entry points to the
right account) and `World.findable_handle` (the archive names the X account, and its
Bluesky profile is reachable by the handle guess or by search and shows a signal).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chatbot.matching.candidates import search_queries
from chatbot.matching.scoring import Identity, bio_claims, handle_matches
from chatbot.matching.text import bsky_social_handles
from chatbot.networks.types import BlueskyProfile

if TYPE_CHECKING:
    from devtools.matchworld import World

# does this profile show a person that it is the X account? (world, x_id, profile, identity)
Shows = Callable[["World", int, BlueskyProfile, Identity], bool]


def our_signals(world: World, x_id: int, profile: BlueskyProfile, identity: Identity) -> bool:
    """A signal our reader knows: a bio claim, or the X name as handle."""
    return bool(bio_claims(profile, identity)) or any(
        handle_matches(profile.handle, name) for name in identity.names
    )


def mark_findable(world: World, excluded: set[int], shows: Shows = our_signals) -> None:
    """Which (x_id, network) a perfect matcher could find through the directory or a handle
    (reachable by the handle guess or by search, and `shows` a signal)."""
    contacts = (set(world.archive.following) | set(world.archive.followers)) - excluded
    for (x_id, network), targets in world.truth.items():
        if x_id not in contacts:
            continue
        entries = world.directory.by_id.get(x_id, [])
        if any(e.usable and e.network == network and e.target in targets for e in entries):
            world.findable_directory.add((x_id, network))
            continue
        own = world.archive.handles.get(x_id)
        if network != "bluesky" or not own:
            continue
        identity = Identity(x_id, own=own)
        guessed = {h for name in identity.names for h in bsky_social_handles(name)}
        searched = {p.did for q in search_queries(identity) for p in world.bluesky.search(q)}
        for did in targets:
            (profile,) = [p for p in world.bluesky.profiles if p.did == did]
            reachable = profile.handle.lower() in guessed or did in searched
            if reachable and shows(world, x_id, profile, identity):
                world.findable_handle.add((x_id, network))
