"""What the matching engine reads from the networks: neutral data and reader protocols.

Implementations live beside this module (public AppView, Mastodon instances, X oEmbed);
tests and the benchmark world use in-memory ones. Readers never raise on "not found"
(they return None or an empty list); they raise `NetworkUnavailable` when the network
is down or keeps rate-limiting after the retries the implementation allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


class NetworkUnavailable(Exception):
    """The network did not answer (down, timeouts, or rate limits beyond our patience)."""

    def __init__(self, network: str, detail: str = "") -> None:
        super().__init__(f"{network} unavailable: {detail}" if detail else network)
        self.network = network
        self.detail = detail


@dataclass(frozen=True)
class BlueskyProfile:
    did: str
    handle: str
    display_name: str | None = None
    description: str | None = None
    labels: tuple[str, ...] = ()  # e.g. "impersonation", "spam"
    # Bluesky's own verification: a valid one from a verifier the AppView trusts, and the
    # handle of (one of) its issuers
    verified: bool = False
    verifier: str | None = None


@dataclass(frozen=True)
class MastodonAccount:
    acct: str  # user@domain, always with the domain
    url: str
    display_name: str | None = None
    note: str | None = None  # the bio, plain text
    moved_to: str | None = None  # acct of the account it moved to
    locked: bool = False
    bot: bool = False


@dataclass(frozen=True)
class OembedPost:
    """What X's public oEmbed endpoint says about a post URL."""

    author_name: str
    author_url: str  # https://twitter.com/<screen_name>
    text: str  # the post's text, from the embed HTML


class BlueskyReader(Protocol):
    async def get_profiles(
        self, actors: Sequence[str], *, fresh: bool = False
    ) -> list[BlueskyProfile]:
        """Profiles of DIDs or handles (any number; batched by 25 inside). Missing ones omitted.
        `fresh`: read them now, not from a cache (a proof check must see the bio as it is)."""

    async def search_actors(self, query: str, limit: int = 10) -> list[BlueskyProfile]:
        """Search by handle or name."""

    async def resolve_handle(self, handle: str) -> str | None:
        """The DID of a handle, or None when it does not resolve."""


@dataclass(frozen=True)
class FollowPage:
    """One page of ``getFollowers`` / ``getFollows``: the DIDs, and the cursor of the next
    page (None: this was the last one)."""

    dids: tuple[str, ...]
    cursor: str | None = None


@dataclass(frozen=True)
class Relationship:
    """``getRelationships`` seen from `actor`: does it follow `other`, does `other` follow it."""

    following: bool = False
    followed_by: bool = False


@runtime_checkable
class BlueskyGraphReader(Protocol):
    """The follow graph (``app.bsky.graph.*``), read without a session."""

    async def get_followers(
        self, actor: str, cursor: str | None = None, limit: int = 100
    ) -> FollowPage:
        """One page of the accounts that follow `actor` (newest first)."""

    async def get_follows(
        self, actor: str, cursor: str | None = None, limit: int = 100
    ) -> FollowPage:
        """One page of the accounts `actor` follows (newest first)."""

    async def get_relationships(
        self, actor: str, others: Sequence[str]
    ) -> dict[str, Relationship]:
        """How `actor` relates to each of `others` (DIDs; at most 30 per request inside)."""


class MastodonReader(Protocol):
    async def lookup(self, acct: str, *, fresh: bool = False) -> MastodonAccount | None:
        """The account `user@domain` (WebFinger or the instance's lookup), or None.
        `fresh`: read it now, not from a cache."""


class XOembed(Protocol):
    async def post(self, url: str) -> OembedPost | None:
        """A public X post (status URL), or None when it does not exist or is not public."""
