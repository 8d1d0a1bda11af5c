"""The undo logs on SQLite and PostgreSQL: what was made, what was undone, backups."""

from __future__ import annotations

from chatbot.migration.store import BLOCKS, MUTES, JobStore, LogEntry
from chatbot.storage.db import Database
from chatbot.storage.users import UserStore
from chatbot.undo.plan import gather
from chatbot.undo.store import Backup, Made, UndoStore

ME, OLD = "did:plc:me", "did:plc:old"


def uri(did: str, collection: str, rkey: str) -> str:
    return f"at://{did}/{collection}/{rkey}"


async def test_made_undone_and_made_again(database: Database) -> None:
    user = await UserStore(database).get_or_create("telegram", "u1")
    jobs, undo = JobStore(database), UndoStore(database)
    job = await jobs.create(user.id, "follow_bluesky", {"targets": []}, 3)
    follow = "app.bsky.graph.follow"
    entries = [
        LogEntry("did:plc:a", "followed", uri(ME, follow, "1")),
        LogEntry("did:plc:b", "already", uri(ME, follow, "2")),
        LogEntry("did:plc:c", "followed", uri(OLD, follow, "3")),
    ]
    await jobs.record(job, entries, {})
    blocks = await jobs.create(user.id, "block_bluesky", {}, 2)
    block = LogEntry("did:plc:x", "blocked", uri(ME, "app.bsky.graph.block", "4"))
    await jobs.record(blocks, [block], {}, log=BLOCKS)
    await jobs.record(blocks, [LogEntry("did:plc:y", "muted", ME)], {}, log=MUTES)

    plan = await gather(undo, user.id, "bluesky", ("follows", "blocks"), ME)
    assert [m.target for m in plan.items["follows"]] == ["did:plc:a"]  # not "already"
    assert plan.elsewhere == 1  # made from the account connected before
    assert [(m.kind, m.target) for m in plan.items["blocks"]] == [
        ("block", "did:plc:x"), ("mute", "did:plc:y")]  # fmt: skip

    undo_job = await jobs.create(user.id, "undo_bluesky", {}, plan.total)
    await undo.undone(undo_job, [*plan.items["follows"], *plan.items["blocks"]], {"x": 1})
    counted = await jobs.get(undo_job.id)
    assert counted is not None and (counted.done, counted.checkpoint) == (3, {"x": 1})
    again = await gather(undo, user.id, "bluesky", ("follows", "blocks"), ME)
    assert again.total == 0
    # undone: no longer "handled", so a later /follow may follow it again, and logs it
    assert "did:plc:a" not in await jobs.logged(user.id, "bluesky")
    later = await jobs.create(user.id, "follow_bluesky", {"targets": []}, 1)
    assert await jobs.record(later, [LogEntry("did:plc:a", "followed", uri(ME, follow, "9"))], {})
    assert [m.uri for m in (await gather(undo, user.id, "bluesky", ("follows",), ME)).items[
        "follows"]] == [uri(ME, follow, "9")]  # fmt: skip


async def test_artefacts_packs_first_and_the_organisations_pack(database: Database) -> None:
    users = UserStore(database)
    admin = await users.get_or_create("telegram", "admin")
    undo = UndoStore(database)
    lst, pack = uri(ME, "app.bsky.graph.list", "l"), uri(ME, "app.bsky.graph.starterpack", "p")
    await undo.log_artefact(admin.id, "bluesky", "list", lst)
    await undo.log_artefact(admin.id, "bluesky", "starterpack", pack, cid="bafy1", list_uri=lst)
    other = uri(ME, "app.bsky.graph.list", "o")
    await undo.log_artefact(admin.id, "bluesky", "list", other)
    plan = await gather(undo, admin.id, "bluesky", ("lists",), ME)
    assert [m.kind for m in plan.items["lists"]] == ["starterpack", "packlist", "list"]
    assert await undo.org_pack([1]) is None  # made for the admin, not for an organisation
    assert plan.count("lists") == plan.total == 2  # the pack's own list goes with it
    assert [m.target for m in plan.shown("lists")] == [pack, other]


async def test_a_profile_backup_is_kept_once_until_restored(database: Database) -> None:
    user = await UserStore(database).get_or_create("telegram", "u2")
    undo, jobs = UndoStore(database), JobStore(database)
    first = Backup("bluesky", {"account": ME, "changed": ["name"], "name": "First"}, b"png")
    assert await undo.keep_backup(user.id, first)
    assert not await undo.keep_backup(user.id, Backup("bluesky", {"name": "Second"}))
    kept = await undo.backup(user.id, "bluesky")
    assert kept is not None and kept.fields["name"] == "First" and kept.avatar == b"png"
    assert (await gather(undo, user.id, "bluesky", ("profile",), OLD)).backup is None
    plan = await gather(undo, user.id, "bluesky", ("profile",), ME)
    assert plan.backup is not None and plan.total == 1
    job = await jobs.create(user.id, "undo_bluesky", {}, 1)
    await undo.undone(job, [Made("profile", "profile", None, ("profile_backups", "bluesky"))], {})
    assert await undo.backup(user.id, "bluesky") is None
    assert await undo.keep_backup(user.id, Backup("bluesky", {"name": "Later"}))  # a new copy
