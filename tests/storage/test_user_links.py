"""Users' private chats and notices, and their own directory links, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from chatbot.matching.model import DirectoryEntry
from chatbot.storage.db import Database
from chatbot.storage.directory import DecisionStore, DirectoryStore
from chatbot.storage.links import UserLinks
from chatbot.storage.users import UserStore


async def test_private_chat_link_code_and_notices(database: Database) -> None:
    users = UserStore(database)
    alice = await users.get_or_create("matrix", "@alice:ex.org")
    assert alice.private_chat_id is None
    alice = await users.get_or_create("matrix", "@alice:ex.org", private_chat_id="!dm:ex.org")
    assert alice.private_chat_id == "!dm:ex.org"
    again = await users.get_or_create("matrix", "@alice:ex.org")  # a group message
    assert again.private_chat_id == "!dm:ex.org"
    code = await users.link_code(alice.id, lambda: "xb-first")
    assert code == "xb-first" and await users.link_code(alice.id, lambda: "xb-other") == code
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    await users.set_notify(alice.id, True, now)
    assert await users.to_notify(before=now) == []
    [due] = await users.to_notify(before=now + dt.timedelta(days=7))
    assert (due.id, due.notify_matches, due.notified_at) == (alice.id, True, now)
    await users.mark_notified(alice.id, now + dt.timedelta(days=8))
    assert await users.to_notify(before=now + dt.timedelta(days=7)) == []
    await users.set_notify(alice.id, False)
    assert await users.to_notify(before=now + dt.timedelta(days=30)) == []


async def test_a_users_links_arrivals_and_forgetting(database: Database) -> None:
    users, links, store = UserStore(database), UserLinks(database), DirectoryStore(database)
    alice = await users.get_or_create("telegram", "1")
    bob = await users.get_or_create("telegram", "2")
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    mine = DirectoryEntry(10, "alice", "bluesky", "a.bsky.social", did="did:plc:a")
    await store.save(mine, user_id=alice.id)
    await store.save(DirectoryEntry(10, "alice", "mastodon", "a@x.org", acct="a@x.org"),
                     user_id=alice.id)  # fmt: skip
    await store.save(DirectoryEntry(11, "bob", "bluesky", "b.bsky.social", did="did:plc:b"),
                     user_id=bob.id)  # fmt: skip
    assert [e.network for e in await links.of_user(alice.id)] == ["bluesky", "mastodon"]
    assert await links.arrived_since([10, 11, 12], start) == {10, 11}
    assert await links.arrived_since([10, 11], start, exclude_user=alice.id) == {11}
    assert await links.arrived_since([10, 11], dt.datetime.now(dt.UTC)) == set()
    assert await links.remove(alice.id, "mastodon") == 1
    await DecisionStore(database).decide(alice.id, 11, "bluesky", "did:plc:b", "confirmed")
    await links.forget_user(alice.id)
    assert await links.of_user(alice.id) == []
    assert await DecisionStore(database).load(alice.id) == {}
    assert [e.target for e in await links.of_user(bob.id)] == ["did:plc:b"]
