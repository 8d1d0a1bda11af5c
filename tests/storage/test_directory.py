"""The directory, the aggregated observations and the match decisions, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select

from chatbot.archive.model import Owner, ParsedArchive, id_array
from chatbot.matching import match_archive
from chatbot.matching.model import DirectoryEntry
from chatbot.matching.spoofing import OBSERVER_MIN_AGE, judge_entry
from chatbot.storage.archives import ArchiveStore
from chatbot.storage.db import Database
from chatbot.storage.directory import DecisionStore, DirectoryStore
from chatbot.storage.schema import directory_entries
from chatbot.storage.users import UserStore
from tests.storage.aging import age_users

ALICE = 2**62 + 5  # ids beyond 32 bits must survive


def _link(x_id: int = ALICE, did: str = "did:plc:alice", **kw: object) -> DirectoryEntry:
    base: dict[str, object] = {
        "x_id": x_id,
        "x_username": "alice",
        "network": "bluesky",
        "handle": "alice.bsky.social",
        "did": did,
        "new_account_proof": "login",
    }
    base.update(kw)
    return DirectoryEntry(**base)  # type: ignore[arg-type]


async def test_links_are_saved_updated_and_found_by_x_id(database: Database) -> None:
    store = DirectoryStore(database)
    user = await UserStore(database).get_or_create("telegram", "1")
    assert await store.save(_link(), user_id=user.id) is True
    assert await store.save(_link(x_proof="oembed"), user_id=user.id) is False
    await store.save(_link(x_id=7, did="did:plc:bob", x_username="bob"))
    found = await store.entries([ALICE, 7, 8])
    assert set(found) == {ALICE, 7}
    (alice,) = found[ALICE]
    assert (alice.did, alice.x_proof) == ("did:plc:alice", "oembed")
    assert alice.new_account_proof == "login"
    assert alice.provenance == "user_link"
    assert await store.count() == 2


async def test_a_proof_belongs_to_the_one_row_it_was_made_for(database: Database) -> None:
    """D3: rows with the same (X id, network, account) from other sources (another user's
    link, an organisation's vouch, an import) keep every field when one user's own link is
    proved, and a second source's link never overwrites the first one's row."""
    store, people = DirectoryStore(database), UserStore(database)
    mallory = await people.get_or_create("telegram", "mallory")
    other = await people.get_or_create("telegram", "other")
    unproved = {"new_account_proof": "none"}
    await store.save(_link(**unproved), user_id=mallory.id)
    await store.save(_link(**unproved), user_id=other.id)
    await store.save(_link(**unproved, provenance="org_roster", provenance_detail="org:1",
                           x_proof="org_vouch"))  # fmt: skip
    await store.save(_link(**unproved, provenance="csv_import", provenance_detail="a.csv"))

    async def rows() -> dict[tuple[object, ...], dict[str, object]]:
        async with database.begin() as conn:
            found = await conn.execute(select(directory_entries))
            return {(r.provenance, r.user_id): dict(r._mapping) for r in found}

    before = await rows()
    assert len(before) == 4  # four sources, four rows
    changed = await store.set_proofs(
        mallory.id, ALICE, "bluesky", "did:plc:alice", new_account_proof="bio_code",
        x_proof="oembed", x_username="alice",
    )  # fmt: skip
    assert changed == 1
    after = await rows()
    mine = ("user_link", mallory.id)
    assert (after[mine]["new_account_proof"], after[mine]["x_proof"]) == ("bio_code", "oembed")
    for key, row in before.items():
        if key != mine:
            assert after[key] == row, key


async def test_withdrawn_consent_hides_the_links(database: Database) -> None:
    store = DirectoryStore(database)
    user = await UserStore(database).get_or_create("matrix", "@a:example.org")
    await store.save(_link(), user_id=user.id)
    assert await store.set_findable(user.id, False) == 1
    assert await store.entries([ALICE]) == {}
    await store.set_findable(user.id, True)
    assert len((await store.entries([ALICE]))[ALICE]) == 1


async def test_csv_import_keeps_provenance_and_reports_bad_rows(database: Database) -> None:
    store = DirectoryStore(database)
    text = (
        "x_id,x_username,bluesky,mastodon\n"
        "11,carol,carol.example.org,@carol@mastodon.social\n"
        "12,dave,did:plc:dave,\n"
        "not-a-number,eve,eve.bsky.social,\n"
        "13,frank,,\n"
    )
    result = await store.import_csv(text, provenance="org_roster", detail="org:42", vouched=True)
    assert (result.added, result.updated) == (3, 0)
    assert [(p.line, p.problem) for p in result.problems] == [(4, "bad_id"), (5, "no_account")]
    found = await store.entries([11, 12])
    carol = {e.network: e for e in found[11]}
    assert carol["mastodon"].acct == "carol@mastodon.social"
    assert carol["bluesky"].handle == "carol.example.org"
    assert carol["bluesky"].provenance_detail == "org:42"
    assert carol["bluesky"].x_proof == "org_vouch"
    assert carol["bluesky"].new_account_proof == "none"  # the new side is still unproved
    assert found[12][0].did == "did:plc:dave"
    again = await store.import_csv(text, provenance="org_roster", detail="org:42", vouched=True)
    assert (again.added, again.updated) == (0, 3)


async def test_observations_count_distinct_users_and_forget_those_who_leave(
    database: Database,
) -> None:
    users, archives, store = UserStore(database), ArchiveStore(database), DirectoryStore(database)
    ids = []
    for n, names in enumerate([{"alice": 3}, {"Alice": 1, "alice_old": 2}, {"mallory": 1}]):
        user = await users.get_or_create("telegram", str(n))
        ids.append(user.id)
        parsed = ParsedArchive(era="manifest", following=id_array([ALICE]))
        parsed.handles = {ALICE: Counter(names), 99: Counter({"mallory": 1})}
        await archives.save(user.id, parsed)
    await age_users(database, ids)  # established users: their archives corroborate
    await store.refresh_observations()
    seen = await store.observations([ALICE], ["mallory"])
    assert seen.names(ALICE) == {"alice": 2, "alice_old": 1, "mallory": 1}
    assert seen.ids("mallory") == {ALICE: 1, 99: 3}
    # a forged claim with the name the archives tie to another id is contradicted
    forged = _link(x_username="mallory", x_proof="oembed")
    assert judge_entry(forged, seen).agreement == "contradicted"
    genuine = _link(x_proof="oembed")
    assert judge_entry(genuine, seen).verified
    await archives.delete(ids[1])
    await store.refresh_observations([ALICE, 99])
    seen = await store.observations([ALICE], [])
    assert seen.names(ALICE) == {"alice": 1, "mallory": 1}


async def test_only_archives_that_may_corroborate_are_counted(database: Database) -> None:
    """D2/D5: an archive never counts for the X id its own account.js claims, and a brand-new
    chat account's archive does not count until the account is old enough."""
    users, archives, store = UserStore(database), ArchiveStore(database), DirectoryStore(database)

    async def upload(name: str, owner: str, handles: dict[int, str]) -> int:
        user = await users.get_or_create("telegram", name)
        parsed = ParsedArchive(era="manifest", owner=Owner(owner, f"u{name}"))
        parsed.handles = {x_id: Counter({n: 1}) for x_id, n in handles.items()}
        await archives.save(user.id, parsed)
        return user.id

    genuine = await upload("genuine", "1", {ALICE: "alice"})
    claimant = await upload("claimant", str(ALICE), {ALICE: "mallory", 7: "bob"})
    await age_users(database, [genuine, claimant])
    for n in range(5):  # five brand-new chat accounts
        await upload(f"sybil{n}", str(100 + n), {ALICE: "mallory"})
    await store.refresh_observations([ALICE, 7])
    seen = await store.observations([ALICE, 7], ["mallory"])
    # the claimant's archive counts for ids it does not claim only; the sybils not yet
    assert seen.names(ALICE) == {"alice": 1}
    assert seen.names(7) == {"bob": 1}
    assert seen.ids("mallory") == {}
    later = dt.datetime.now(dt.UTC) + OBSERVER_MIN_AGE + dt.timedelta(minutes=1)
    seen = await DirectoryStore(database, clock=lambda: later).observations([ALICE], [])
    assert seen.names(ALICE) == {"alice": 1, "mallory": 5}  # of age: read, no new upload


async def test_decisions_are_remembered_and_replaced(database: Database) -> None:
    user = await UserStore(database).get_or_create("telegram", "9")
    decisions = DecisionStore(database)
    await decisions.decide(user.id, ALICE, "bluesky", "did:plc:alice", "rejected")
    await decisions.decide(user.id, ALICE, "bluesky", "did:plc:alice", "confirmed")
    await decisions.decide(user.id, 7, "mastodon", "bob@example.social", "rejected")
    assert await decisions.load(user.id) == {
        (ALICE, "bluesky", "did:plc:alice"): "confirmed",
        (7, "mastodon", "bob@example.social"): "rejected",
    }


async def test_the_store_feeds_the_matching_engine(database: Database) -> None:
    users, archives, store = UserStore(database), ArchiveStore(database), DirectoryStore(database)
    for n in range(2):  # two other users' archives mention @alice with her id
        user = await users.get_or_create("telegram", f"o{n}")
        other = ParsedArchive(era="manifest", following=id_array([ALICE]))
        other.handles = {ALICE: Counter({"alice": 1})}
        await archives.save(user.id, other)
        await age_users(database, [user.id])
    await store.refresh_observations()
    await store.save(_link(x_proof="oembed"))
    await store.save(_link(x_id=7, did="did:plc:bob", x_username="bob", x_proof="oembed"))
    me = ParsedArchive(era="manifest", following=id_array([ALICE]), followers=id_array([7]))
    matches = await match_archive(me, store, None, None, decisions={})
    tiers = {m.x_id: m.tier for m in matches}
    assert tiers == {ALICE: "verified", 7: "possible"}  # nobody's archive vouches for bob
