"""The storage contract, run on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text

from chatbot.archive.model import Counts, Owner, ParsedArchive, Profile, id_array
from chatbot.storage.archives import ArchiveStore, pack_ids, unpack_ids
from chatbot.storage.chat_state import ChatStateStore
from chatbot.storage.db import Database
from chatbot.storage.schema import metadata
from chatbot.storage.users import UserStore


def _archive() -> ParsedArchive:
    return ParsedArchive(
        era="manifest",
        owner=Owner(
            "1234",
            "alice_example",
            "Alice 🦋",
            dt.datetime(2013, 5, 2, tzinfo=dt.UTC),
            ["AliceEx12345"],
        ),
        profile=Profile(bio="maps & open data"),
        counts=Counts(tweets=3, followers=2, following=3, likes=10, blocks=0, mutes=None),
        first_tweet=dt.datetime(2014, 1, 1, 12, tzinfo=dt.UTC),
        last_tweet=dt.datetime(2024, 12, 19, 14, 4, 5, tzinfo=dt.UTC),
        tweets_per_year={2014: 1, 2024: 2},
        following=id_array([12, 795566583003353088, 2**62]),
        followers=id_array([7, 8]),
        handles={12: Counter({"jack": 3, "jack_old": 1}), 7: Counter({"bob": 1})},
        handles_without_id=Counter({"carol_example": 2}),
        parts={"following": {0: 3}, "follower": {0: 2}},
        warnings=["archive.warning.example"],
        tweet_years_by_part={0: {2014: 1}, 1: {2024: 2}},
    )


async def test_migrations_match_the_schema(database: Database) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with database.begin() as conn:
        assert await conn.run_sync(diff) == []


async def test_migrating_twice_is_harmless(database: Database) -> None:
    await database.migrate()
    async with database.begin() as conn:
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    assert version is not None


async def test_users_are_created_once_and_keep_their_language(database: Database) -> None:
    users = UserStore(database)
    first = await users.get_or_create("telegram", "42")
    again = await users.get_or_create("telegram", "42")
    other = await users.get_or_create("matrix", "42")
    assert first.id == again.id != other.id
    assert first.language is None
    await users.set_language(first.id, "fr")
    assert (await users.get_or_create("telegram", "42")).language == "fr"


async def test_archive_facts_round_trip(database: Database) -> None:
    users, archives = UserStore(database), ArchiveStore(database)
    user = await users.get_or_create("console", "alice")
    original = _archive()
    await archives.save(user.id, original)
    loaded = await archives.load(user.id)
    assert loaded is not None
    assert loaded.owner == original.owner
    assert loaded.counts == original.counts
    assert loaded.profile == original.profile
    assert list(loaded.following) == list(original.following)
    assert list(loaded.followers) == [7, 8]
    assert loaded.handles == original.handles
    assert loaded.handles_without_id == original.handles_without_id
    assert loaded.tweets_per_year == {2014: 1, 2024: 2}
    assert loaded.parts == original.parts
    assert loaded.first_tweet == original.first_tweet
    assert loaded.last_tweet is not None and loaded.last_tweet.tzinfo is not None
    assert loaded.warnings == ["archive.warning.example"]
    assert loaded.tweet_years_by_part == original.tweet_years_by_part


async def test_saving_again_replaces_and_forgetting_cascades(database: Database) -> None:
    users, archives = UserStore(database), ArchiveStore(database)
    user = await users.get_or_create("console", "bob")
    await archives.save(user.id, _archive())
    smaller = _archive()
    smaller.handles = {}
    await archives.save(user.id, smaller)
    loaded = await archives.load(user.id)
    assert loaded is not None and loaded.handles == {}
    await archives.save(user.id, _archive())
    await users.delete(user.id)
    assert await archives.load(user.id) is None
    async with database.begin() as conn:
        left = (await conn.execute(text("SELECT count(*) FROM handle_hints"))).scalar()
    assert left == 0


async def test_a_million_ids_stay_compact(database: Database) -> None:
    ids = id_array(range(10**12, 10**12 + 1_000_000))
    blob = pack_ids(ids)
    assert len(blob) < 4_000_000
    assert unpack_ids(blob) == ids
    users, archives = UserStore(database), ArchiveStore(database)
    user = await users.get_or_create("console", "big")
    parsed = _archive()
    parsed.followers = ids
    await archives.save(user.id, parsed)
    loaded = await archives.load(user.id)
    assert loaded is not None and len(loaded.followers) == 1_000_000


async def test_numbered_choices_are_per_user_and_chat(database: Database) -> None:
    state = ChatStateStore(database)
    await state.remember_choices("matrix", "!room", "@a:hs", ["lang:en", "lang:fr"])
    assert await state.pick_choice("matrix", "!room", "@b:hs", "2") is None
    assert await state.pick_choice("matrix", "!other", "@a:hs", "2") is None
    assert await state.pick_choice("matrix", "!room", "@a:hs", "hello") is None
    assert await state.pick_choice("matrix", "!room", "@a:hs", "3") is None
    assert await state.pick_choice("matrix", "!room", "@a:hs", " 2. ") == "lang:fr"
    assert await state.pick_choice("matrix", "!room", "@a:hs", "2") is None  # consumed
