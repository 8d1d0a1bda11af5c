"""Which of the owner's tweets go to Bluesky, in which threads, in which order (pure).

Kept: the owner's own posts and their self-threads. Skipped, each counted under its
reason: retweets, replies to other people (and the owner's replies that continue such a
conversation), Twitter Circle posts (never re-posted publicly), Community posts, and
posts outside the chosen dates. Deleted posts are not in the archive's tweet files
(they live in deleted-tweets.js, which is never read for the import).

Threads are posted as a unit, newest thread first (the issue's "newest first"), each
thread oldest post first so that every reply finds its parent already posted. A date
range selects threads by the date of their first post.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from chatbot.archive.tweets import Tweet

SKIP_REASONS = ("retweet", "reply_to_other", "circle", "community", "out_of_range")


@dataclass
class PlannedTweet:
    tweet: Tweet
    root_id: int  # the first post of its thread
    parent_id: int | None  # the own post it answers (None for a thread's first post)


@dataclass
class Plan:
    posts: list[PlannedTweet] = field(default_factory=list)  # in posting order
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def threads(self) -> int:
        return sum(1 for p in self.posts if p.parent_id is None)

    @property
    def first_date(self) -> dt.datetime | None:
        dates = [p.tweet.created_at for p in self.posts if p.tweet.created_at]
        return min(dates) if dates else None

    @property
    def last_date(self) -> dt.datetime | None:
        dates = [p.tweet.created_at for p in self.posts if p.tweet.created_at]
        return max(dates) if dates else None


def _own_reason(tweet: Tweet) -> str | None:
    """Why this tweet alone cannot be imported (None: it can)."""
    if tweet.is_retweet:
        return "retweet"
    if tweet.circle:
        return "circle"
    if tweet.community:
        return "community"
    if tweet.is_reply_to_other:
        return "reply_to_other"
    return None


def _sort_date(tweet: Tweet) -> dt.datetime:
    return tweet.created_at or dt.datetime.min.replace(tzinfo=dt.UTC)


def _key(tweet: Tweet) -> tuple[dt.datetime, int]:
    return _sort_date(tweet), tweet.id


def plan_import(
    tweets: Iterable[Tweet],
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> Plan:
    """Choose and order the posts to import (`until` is exclusive)."""
    by_id = {tweet.id: tweet for tweet in tweets}
    own = {tweet_id: _own_reason(tweet) for tweet_id, tweet in by_id.items()}
    resolved: dict[int, tuple[str | None, int]] = {}  # id -> (reason, first post of thread)

    def resolve(tweet_id: int) -> tuple[str | None, int]:
        """Walk up the self-replies: a post inherits the reason of its thread's start."""
        chain: list[int] = []
        current = tweet_id
        while True:
            if current in resolved:
                found = resolved[current]
                break
            if current in chain or own[current] is not None:  # a loop, or a skipped post
                found = (own[current], current)
                break
            chain.append(current)
            parent = by_id[current].reply_to_tweet_id
            if parent is None or parent not in by_id:  # a first post, or its parent deleted
                found = (None, current)
                break
            current = parent
        for node in chain:
            resolved[node] = found
        return found

    plan = Plan()
    threads: dict[int, list[int]] = {}
    for tweet_id in by_id:
        reason, root = resolve(tweet_id)
        if reason is not None:
            plan.skipped[reason] += 1
        else:
            threads.setdefault(root, []).append(tweet_id)
    for root in sorted(threads, key=lambda r: _key(by_id[r]), reverse=True):
        members = threads[root]
        created = by_id[root].created_at
        if (since and (created is None or created < since)) or (
            until and (created is None or created >= until)
        ):
            plan.skipped["out_of_range"] += len(members)
            continue
        plan.posts.extend(_thread_order(by_id, root, members))
    return plan


def _thread_order(by_id: dict[int, Tweet], root: int, members: list[int]) -> list[PlannedTweet]:
    """Parents before their replies, siblings by date (ids need not grow with time)."""
    children: dict[int, list[int]] = {}
    for member in members:
        if member != root:
            children.setdefault(by_id[member].reply_to_tweet_id or root, []).append(member)
    ordered: list[PlannedTweet] = []
    stack: list[tuple[int, int | None]] = [(root, None)]
    while stack:
        node, parent = stack.pop()
        ordered.append(PlannedTweet(by_id[node], root, parent))
        replies = sorted(children.get(node, ()), key=lambda m: _key(by_id[m]), reverse=True)
        stack.extend((reply, node) for reply in replies)
    return ordered
