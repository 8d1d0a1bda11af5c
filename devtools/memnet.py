"""In-memory Bluesky, Mastodon and X oEmbed readers (tests and the matching benchmark world).

They behave like production where it matters to the matcher: `search_actors` matches
case-insensitive substrings of handles AND display names (exact handle prefix first,
then handle prefixes, then the rest, in insertion order; bios too when `search_bios`),
`get_profiles` accepts DIDs and handles and omits unknown ones, lookups of unknown
accounts return None. The follow graph answers ``getFollowers`` / ``getFollows`` (pages of
at most 100, newest first, an opaque cursor) and ``getRelationships`` (30 others a call).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from chatbot.networks.types import (
    BlueskyProfile,
    FollowPage,
    MastodonAccount,
    NetworkUnavailable,
    OembedPost,
    Relationship,
)


def _grams(text: str) -> set[str]:
    return {text[i : i + 3] for i in range(len(text) - 2)}


@dataclass
class MemoryBluesky:
    profiles: list[BlueskyProfile] = field(default_factory=list)
    down: bool = False
    calls: dict[str, int] = field(default_factory=dict)
    search_bios: bool = False

    def __post_init__(self) -> None:
        self._following: dict[str, dict[str, None]] = {}  # did -> the DIDs it follows, in order
        self._followers: dict[str, dict[str, None]] = {}
        self._by_key: dict[str, BlueskyProfile] = {}
        self._texts: list[str] = []
        self._index: dict[str, set[int]] = {}
        items, self.profiles = self.profiles, []
        self.add(items)

    def add(self, profiles: Iterable[BlueskyProfile]) -> None:
        for profile in profiles:
            position = len(self.profiles)
            self.profiles.append(profile)
            self._by_key[profile.did] = profile
            self._by_key[profile.handle.lower()] = profile
            text = f"{profile.handle.lower()}\n{(profile.display_name or '').lower()}"
            if self.search_bios:
                text += f"\n{(profile.description or '').lower()}"
            self._texts.append(text)
            for gram in _grams(text):
                self._index.setdefault(gram, set()).add(position)

    def _count(self, name: str) -> None:
        if self.down:
            raise NetworkUnavailable("bluesky", "test outage")
        self.calls[name] = self.calls.get(name, 0) + 1

    async def get_profiles(
        self, actors: Sequence[str], *, fresh: bool = False
    ) -> list[BlueskyProfile]:
        self._count("get_profiles")
        found = (self._by_key.get(a if a.startswith("did:") else a.lower()) for a in actors)
        return [p for p in found if p is not None]

    async def search_actors(self, query: str, limit: int = 10) -> list[BlueskyProfile]:
        self._count("search_actors")
        return self.search(query, limit)

    def search(self, query: str, limit: int = 10) -> list[BlueskyProfile]:
        """`search_actors` without the network semantics (counting, outages)."""
        q = query.lower().lstrip("@").strip()
        if not q:
            return []
        if len(q) >= 3:
            grams = sorted((self._index.get(g, set()) for g in _grams(q)), key=len)
            pool = sorted(set.intersection(*grams)) if grams else []
        else:
            pool = list(range(len(self.profiles)))
        hits = [i for i in pool if q in self._texts[i]]

        def rank(i: int) -> tuple[int, int]:
            handle = self.profiles[i].handle.lower()
            first = handle.split(".", 1)[0]
            return (0 if first == q else 1 if handle.startswith(q) else 2, i)

        return [self.profiles[i] for i in sorted(hits, key=rank)[:limit]]

    async def resolve_handle(self, handle: str) -> str | None:
        self._count("resolve_handle")
        profile = self._by_key.get(handle.lower())
        return profile.did if profile else None

    # -- the follow graph ----------------------------------------------------------------

    def follow(self, follower: str, subject: str) -> None:
        if follower != subject:
            self._following.setdefault(follower, {})[subject] = None
            self._followers.setdefault(subject, {})[follower] = None

    def followers_of(self, did: str) -> list[str]:
        return list(self._followers.get(did, ()))

    def follows_of(self, did: str) -> list[str]:
        return list(self._following.get(did, ()))

    async def get_followers(
        self, actor: str, cursor: str | None = None, limit: int = 100
    ) -> FollowPage:
        self._count("get_followers")
        return _page(self._followers.get(actor, {}), cursor, limit)

    async def get_follows(
        self, actor: str, cursor: str | None = None, limit: int = 100
    ) -> FollowPage:
        self._count("get_follows")
        return _page(self._following.get(actor, {}), cursor, limit)

    async def get_relationships(
        self, actor: str, others: Sequence[str]
    ) -> dict[str, Relationship]:
        wanted = list(dict.fromkeys(others))
        for _ in range(0, len(wanted), 30):
            self._count("get_relationships")
        follows, followers = self._following.get(actor, {}), self._followers.get(actor, {})
        return {o: Relationship(o in follows, o in followers) for o in wanted}


def _page(edges: dict[str, None], cursor: str | None, limit: int) -> FollowPage:
    """Newest first, like the AppView; the cursor is an offset."""
    newest = list(reversed(edges))
    start = int(cursor) if cursor and cursor.isdigit() else 0
    limit = max(1, min(100, limit))
    dids = tuple(newest[start : start + limit])
    end = start + len(dids)
    return FollowPage(dids, str(end) if end < len(newest) else None)


@dataclass
class MemoryMastodon:
    accounts: dict[str, MastodonAccount] = field(default_factory=dict)
    down: bool = False
    lookups: int = 0

    def add(self, account: MastodonAccount) -> None:
        self.accounts[account.acct.lower()] = account

    async def lookup(self, acct: str, *, fresh: bool = False) -> MastodonAccount | None:
        if self.down:
            raise NetworkUnavailable("mastodon", "test outage")
        self.lookups += 1
        return self.accounts.get(acct.lstrip("@").lower())


@dataclass
class MemoryOembed:
    posts: dict[str, OembedPost] = field(default_factory=dict)

    def publish(self, screen_name: str, status_id: int, text: str) -> str:
        url = f"https://x.com/{screen_name}/status/{status_id}"
        self.posts[url] = OembedPost(screen_name, f"https://twitter.com/{screen_name}", text)
        return url

    async def post(self, url: str) -> OembedPost | None:
        return self.posts.get(url.replace("twitter.com", "x.com"))
