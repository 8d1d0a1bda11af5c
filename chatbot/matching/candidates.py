"""Candidate generation on the networks, from the X names known for each X id.

Bluesky: ``<name>.bsky.social`` (and ``_`` -> ``-``), ``searchActors`` with name variants,
then custom-domain handles that the profiles found mention in their bio or name.
Mastodon: accts named in matched Bluesky profiles, checked by lookup, ``moved_to``
followed; Bridgy Fed handles only when they resolve. Network errors skip a candidate,
never the whole run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TypeVar

from chatbot.matching.scoring import Identity
from chatbot.matching.text import (
    bluesky_handles_mentioned,
    bsky_social_handles,
    handle_variants,
)
from chatbot.networks.lookup_budget import LookupCapped
from chatbot.networks.types import (
    BlueskyProfile,
    BlueskyReader,
    MastodonAccount,
    MastodonReader,
    NetworkUnavailable,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

MAX_NAMES = 2  # screen names tried per X id (the most seen ones)
SEARCH_LIMIT = 10
MAX_MOVES = 3


async def bounded(
    items: Iterable[T], call: Callable[[T], Awaitable[R]], concurrency: int
) -> list[R | None]:
    """`call` on every item, at most `concurrency` at a time.

    A network that does not answer must not silently thin out the matches: every lookup
    still runs (so caches fill for the retry), then the first `NetworkUnavailable` is
    raised instead of partial results.
    """
    gate = asyncio.Semaphore(max(1, concurrency))
    failures: list[NetworkUnavailable] = []

    async def one(item: T) -> R | None:
        async with gate:
            try:
                return await call(item)
            except NetworkUnavailable as exc:
                failures.append(exc)
                return None
            except LookupCapped:  # this user's lookups are spent: later, on /match
                return None

    results = list(await asyncio.gather(*(one(item) for item in items)))
    if failures:
        log.info("%d lookups failed: %s", len(failures), failures[0])
        raise failures[0]
    return results


def search_queries(identity: Identity) -> list[str]:
    """Queries for `searchActors`: the names and their handle variants (``_`` -> ``-``,
    ``_`` dropped). `handle_variants` leaves out a name that is not a valid handle label
    (one with ``_``), so the name itself is always queried first.

    The X name is also what a real person on another handle writes in their bio ("formerly
    @name on X") or display name: the public AppView's search reads those fields too, so
    the same queries find them (the dev-env AppView of the tests searches handles only)."""
    queries: list[str] = []
    for name in identity.names[:MAX_NAMES]:
        for query in (name, *handle_variants(name)):
            if len(query) >= 2 and query not in queries:
                queries.append(query)
    return queries


async def bluesky_candidates(
    identities: Sequence[Identity], reader: BlueskyReader, *, concurrency: int = 8
) -> dict[int, list[BlueskyProfile]]:
    """Profiles worth scoring for each X id (deduplicated by DID)."""
    found: dict[int, dict[str, BlueskyProfile]] = {i.x_id: {} for i in identities}
    # 1. guessed handles, fetched in batches (getProfiles omits the missing ones)
    guesses: dict[str, list[int]] = {}
    for identity in identities:
        for name in identity.names[:MAX_NAMES]:
            for handle in bsky_social_handles(name):
                guesses.setdefault(handle, []).append(identity.x_id)
    for profile in await _profiles(reader, list(guesses), concurrency):
        for x_id in guesses.get(profile.handle.lower(), ()):
            found[x_id][profile.did] = profile
    # 2. searchActors with name variants
    jobs = [(i.x_id, q) for i in identities for q in search_queries(i)]

    async def search(job: tuple[int, str]) -> list[BlueskyProfile]:
        return await reader.search_actors(job[1], SEARCH_LIMIT)

    for (x_id, _), results in zip(jobs, await bounded(jobs, search, concurrency), strict=True):
        for profile in results or ():
            found[x_id].setdefault(profile.did, profile)
    # 3. handles (custom domains) that the profiles found mention in their bio or name
    mentioned: dict[str, set[int]] = {}
    for x_id, profiles in found.items():
        for profile in profiles.values():
            for text in (profile.description, profile.display_name):
                for handle in bluesky_handles_mentioned(text):
                    mentioned.setdefault(handle, set()).add(x_id)
    for profile in await _profiles(reader, list(mentioned), concurrency):
        for x_id in mentioned.get(profile.handle.lower(), ()):
            found[x_id].setdefault(profile.did, profile)
    return {x_id: list(p.values()) for x_id, p in found.items() if p}


async def _profiles(
    reader: BlueskyReader, actors: Sequence[str], concurrency: int
) -> list[BlueskyProfile]:
    chunks = [list(actors[i : i + 100]) for i in range(0, len(actors), 100)]
    results = await bounded(chunks, reader.get_profiles, concurrency)
    return [profile for chunk in results for profile in chunk or ()]


async def fetch_profiles(
    reader: BlueskyReader, actors: Sequence[str], *, concurrency: int = 8
) -> dict[str, BlueskyProfile]:
    """Profiles by DID and by lower-cased handle."""
    out: dict[str, BlueskyProfile] = {}
    for profile in await _profiles(reader, actors, concurrency):
        out[profile.did] = profile
        out[profile.handle.lower()] = profile
    return out


async def lookup_final(reader: MastodonReader, acct: str) -> tuple[MastodonAccount, str] | None:
    """The account `acct`, following ``moved_to`` (at most 3 moves), and the original acct."""
    account = await reader.lookup(acct)
    moves = 0
    while account is not None and account.moved_to and moves < MAX_MOVES:
        moved = await reader.lookup(account.moved_to)
        if moved is None:
            break
        account, moves = moved, moves + 1
    return (account, acct) if account is not None else None


async def lookup_many(
    reader: MastodonReader, accts: Iterable[str], *, concurrency: int = 8
) -> dict[str, tuple[MastodonAccount, str]]:
    """Existing accounts among `accts` (lower-cased acct -> (final account, original acct))."""
    unique = list(dict.fromkeys(a.lower() for a in accts))

    async def one(acct: str) -> tuple[MastodonAccount, str] | None:
        return await lookup_final(reader, acct)

    results = await bounded(unique, one, concurrency)
    return {acct: r for acct, r in zip(unique, results, strict=True) if r is not None}


async def resolving(
    reader: BlueskyReader, handles: Iterable[str], *, concurrency: int = 8
) -> dict[str, str]:
    """Handles that resolve to a DID (Bridgy Fed handles are offered only then)."""
    unique = list(dict.fromkeys(h.lower() for h in handles))
    results = await bounded(unique, reader.resolve_handle, concurrency)
    return {h: did for h, did in zip(unique, results, strict=True) if did}
