"""Matching an organisation's archive: millions of followers, joined in bulk.

The contacts stay packed, the directory answers for all of them at once (in chunks, on
SQLite and PostgreSQL), and only the ids something is known about become objects: the
memory of a match grows with what is known, not with the follower list.
"""

from __future__ import annotations

import tracemalloc
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from chatbot.archive.idlist import member, packed, without
from chatbot.archive.model import Owner, ParsedArchive, id_array
from chatbot.cli import main
from chatbot.i18n import translator
from chatbot.matching import MemoryDirectory, match_archive
from chatbot.matching.contacts import Contacts
from chatbot.matching.model import DirectoryEntry, Observations
from chatbot.storage.bulk import CHUNK_IDS
from chatbot.storage.db import Database
from chatbot.storage.directory import DirectoryStore

OWNER = 9_000_000_001


def _entry(x_id: int) -> DirectoryEntry:
    return DirectoryEntry(x_id, f"u{x_id}", "bluesky", f"u{x_id}.bsky.social",
                          did=f"did:plc:u{x_id}", provenance="csv_import")  # fmt: skip


def _organisation(followers: int) -> ParsedArchive:
    """An archive with `followers` followers (big ids), 50 follows, a block and a mute."""
    ids = np.arange(followers, dtype=np.int64) * 7 + 10**15
    following = [int(ids[0]), int(ids[1]), 11, 12, *range(100, 146)]
    parsed = ParsedArchive(
        era="manifest",
        owner=Owner(account_id=str(OWNER), username="city"),
        following=id_array(following),
        followers=id_array([*ids.tolist(), OWNER]),
        blocked=id_array([int(ids[2])]),
        muted=id_array([12]),
    )
    parsed.handles = {11: Counter({"eleven": 3}), int(ids[5]): Counter({"fifth_fan": 1})}
    return parsed


def test_contacts_are_packed_with_their_direction() -> None:
    parsed = _organisation(1000)
    contacts = Contacts.of(parsed)
    first, second, blocked = (10**15 + 7 * n for n in range(3))
    assert len(contacts) == 1000 - 1 + 47  # less the blocked follower, plus the follows
    assert blocked not in contacts and 12 not in contacts and OWNER not in contacts
    assert contacts.directions([first, 11, 10**15 + 7 * 500]) == {
        first: "both", 11: "following", 10**15 + 7 * 500: "follower"
    }  # fmt: skip
    assert second in contacts and contacts.direction(second) == "both"
    assert list(contacts.ids) == sorted(set(contacts.ids.tolist()))
    assert len(contacts.followers) == 999
    assert list(packed([5, 3, 5, 1])) == [1, 3, 5]
    assert member(packed([1, 3]), np.array([0, 3, 4])).tolist() == [False, True, False]
    assert list(without(packed([1, 2, 3]), packed([2, 9]))) == [1, 3]
    assert len(Contacts.of(ParsedArchive(era="loose"))) == 0
    for hostile in ("9" * 5000, "²", "99999999999999999999"):  # not ids: nothing left out
        owned = ParsedArchive(era="loose", owner=Owner(hostile), followers=id_array([1, 2]))
        assert len(Contacts.of(owned)) == 2


async def test_a_million_followers_cost_memory_for_what_is_known_only() -> None:
    parsed = _organisation(1_000_000)
    directory = MemoryDirectory()
    known = [10**15 + 7 * n for n in range(0, 1_000_000, 10_000)]  # 100 followers
    for x_id in [*known, 11, 5, 6]:  # 5 and 6 are strangers: never proposed
        directory.add(_entry(x_id))
    tracemalloc.start()
    try:
        found = await match_archive(parsed, directory, None, None, decisions={})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    by_id = {m.x_id: m for m in found if m.network == "bluesky" and m.did}
    assert set(by_id) == {*known, 11} - {10**15 + 7 * 2}
    assert by_id[11].direction == "following" and by_id[known[0]].direction == "both"
    assert by_id[known[-1]].direction == "follower"
    # 1,000,000 ids packed are 8 MB; one object per follower (the old matching) was ~300 MB
    assert peak < 40 * 2**20, f"{peak / 2**20:.0f} MB"


async def test_the_database_joins_every_id_in_chunks(database: Database) -> None:
    store = DirectoryStore(database)
    wanted = np.arange(CHUNK_IDS * 2 + 10, dtype=np.int64) * 3 + 2**40
    hits = [int(wanted[0]), int(wanted[CHUNK_IDS - 1]), int(wanted[CHUNK_IDS]), int(wanted[-1])]
    await store.add_many([_entry(x_id) for x_id in [*hits, 7, 2**40 + 1]])
    await store.save(replace(_entry(int(wanted[1])), findable=False))
    found = await store.entries(wanted)
    assert sorted(found) == hits  # across chunk boundaries; strangers and hidden ones not
    assert found[hits[2]][0].handle == f"u{hits[2]}.bsky.social"
    assert await store.entries(np.empty(0, dtype=np.int64)) == {}
    assert await store.entries([7, 8]) == {7: [_entry(7)]}
    seen = await store.observations(wanted, [])
    assert seen == Observations()


def test_chatbot_match_keeps_only_the_directory_rows_of_the_contacts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    follower = tmp_path / "follower.js"
    rows = ",\n".join(f'{{"follower": {{"accountId": "{n}"}}}}' for n in range(1000, 21000))
    follower.write_text(f"window.YTD.follower.part0 = [\n{rows}\n]", encoding="utf-8")
    csv = tmp_path / "directory.csv"
    lines = ["x_id,x_username,bluesky,mastodon"]
    lines += [f"{n},u{n},u{n}.bsky.social," for n in range(5000, 400_000, 5)]  # 3,000 fans
    lines += ["300000,x,,not-an-acct", "nope,,a.bsky.social,"]  # problems of strangers
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = main(["match", str(follower), "--directory", str(csv), "--offline", "--json",
                 "--lang", "en"])  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    assert out.out.count('"network": "bluesky"') == 3200  # 5,000..20,995 step 5
    t = translator("en")
    for line, problem in ((79002, "bad_mastodon"), (79003, "bad_id")):
        reason = t(f"csvimport.reason.{problem}")
        assert t("match.cli.csv_problem", path=str(csv), line=line, problem=reason) in out.err
