"""Choosing and ordering the posts to import: threads, skips, dates, newest first."""

from __future__ import annotations

import datetime as dt

from chatbot.archive.tweets import Tweet
from chatbot.posts.plan import plan_import

OWNER = 42


def tweet(tid: int, day: int, *, reply_to: int | None = None, other: bool = False,
          **flags: bool) -> Tweet:  # fmt: skip
    return Tweet(
        id=tid,
        created_at=dt.datetime(2020, 1, day, tzinfo=dt.UTC),
        text=f"post {tid}",
        reply_to_tweet_id=reply_to,
        reply_to_user_id=(7 if other else OWNER) if reply_to else None,
        is_reply_to_other=other,
        **flags,
    )


def test_threads_go_together_newest_thread_first_oldest_post_first() -> None:
    tweets = [
        tweet(1, 1),
        tweet(2, 2, reply_to=1),  # continues thread 1
        tweet(3, 3),
        tweet(4, 4, reply_to=2),  # continues thread 1, after 2
        tweet(5, 5, reply_to=99),  # its parent was deleted: a thread of its own
    ]
    plan = plan_import(tweets)
    assert [p.tweet.id for p in plan.posts] == [5, 3, 1, 2, 4]
    by_id = {p.tweet.id: p for p in plan.posts}
    assert (by_id[4].root_id, by_id[4].parent_id) == (1, 2)
    assert (by_id[2].root_id, by_id[2].parent_id) == (1, 1)
    assert by_id[5].parent_id is None and by_id[5].root_id == 5
    assert plan.threads == 3


def test_skips_retweets_replies_to_others_circle_community_and_their_continuations() -> None:
    tweets = [
        tweet(1, 1, is_retweet=True),
        tweet(2, 2, reply_to=77, other=True),
        tweet(3, 3, reply_to=2),  # the owner continuing a conversation with someone else
        tweet(4, 4, circle=True),
        tweet(5, 5, community=True),
        tweet(6, 6),
    ]
    plan = plan_import(tweets)
    assert [p.tweet.id for p in plan.posts] == [6]
    assert plan.skipped == {"retweet": 1, "reply_to_other": 2, "circle": 1, "community": 1}


def test_a_date_range_selects_threads_by_their_first_post() -> None:
    tweets = [tweet(1, 1), tweet(2, 10, reply_to=1), tweet(3, 5), tweet(4, 20)]
    since = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    until = dt.datetime(2020, 1, 6, tzinfo=dt.UTC)
    plan = plan_import(tweets, since=since, until=until)
    assert [p.tweet.id for p in plan.posts] == [3, 1, 2]  # 2 follows its thread's first post
    assert plan.skipped == {"out_of_range": 1}
    assert plan.first_date == dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
