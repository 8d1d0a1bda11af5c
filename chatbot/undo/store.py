"""What the bot made, read from its own logs, and marked "undone" once taken back.

The logs are the follow log (follows, and blocks and mutes under their own "network"),
the post log (tweet -> post URI), the artefact log (lists and starter packs) and the
profile backups. Only what the bot made is ever read: a follow the account had before
is logged "already" and never taken back. Marking is done in the same transaction as
the job's counters and checkpoint, so a crash never counts a delete twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from chatbot.migration.store import BLOCKS, MUTES, Job, counted, utc_now
from chatbot.storage.db import Database
from chatbot.storage.schema import artefact_log, follow_log, jobs, post_log, profile_backups

# What a log row says was made (and so may be taken back), per log "network".
MADE = {"bluesky": ("followed",), "mastodon": ("followed", "requested"),
        BLOCKS: ("blocked",), MUTES: ("muted",)}  # fmt: skip


UNCOUNTED = ("listitem", "packlist")  # undone with their list or pack, not counted apart


@dataclass(frozen=True)
class Made:
    """One thing the bot made.

    `kind`: follow | block | mute | post | starterpack | list | packlist | listitem, or
    follow (Mastodon); `target`: the DID or acct it concerns (the record's URI for lists);
    `uri`: the record (Bluesky), or on Mastodon the acct actually followed;
    `ref`: where the log keeps it (None for a list's items, undone with their list).
    """

    kind: str
    target: str
    uri: str | None
    ref: tuple[Any, ...] | None


@dataclass(frozen=True)
class Backup:
    network: str
    fields: dict[str, Any]  # account, changed, name, bio, avatar/banner refs or defaults
    avatar: bytes | None = None
    banner: bytes | None = None
    created_at: dt.datetime = field(default_factory=utc_now, compare=False)


def repo_of(uri: str) -> str:
    """at://did:plc:x/collection/rkey -> did:plc:x."""
    return uri.removeprefix("at://").split("/", 1)[0]


class UndoStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- reading the logs ------------------------------------------------------------------

    async def graph(self, user_id: int, log: str, kind: str) -> list[Made]:
        """Follows, blocks or mutes the bot made (`log`: the follow log's network)."""
        f = follow_log.c
        query = (
            select(f.target, f.uri, jobs.c.params)
            .join(jobs, jobs.c.id == f.job_id)
            .where(f.user_id == user_id, f.network == log, f.status.in_(MADE[log]))
            .order_by(f.id)
        )
        async with self.db.begin() as conn:
            rows = (await conn.execute(query)).all()
        return [
            Made(kind, row.target, row.uri, ("follow_log", log, row.target, _account(row)))
            for row in rows
        ]

    async def posts(self, user_id: int) -> list[Made]:
        p = post_log.c
        query = (
            select(p.tweet_id, p.part, p.uri)
            .where(p.user_id == user_id, p.status == "posted", p.uri.is_not(None))
            .order_by(p.tweet_id.desc(), p.part.desc())  # replies before what they answer
        )
        async with self.db.begin() as conn:
            rows = (await conn.execute(query)).all()
        return [
            Made("post", r.uri, r.uri, ("post_log", int(r.tweet_id), r.part))
            for r in rows
            if r.uri
        ]

    async def artefacts(self, user_id: int, network: str) -> list[Made]:
        """Starter packs first, then lists; a pack's own list is a "packlist" (deleted
        with its pack, never shown or counted apart)."""
        a = artefact_log.c
        query = select(a.kind, a.uri, a.list_uri).where(
            a.user_id == user_id, a.network == network, a.status == "made"
        )
        async with self.db.begin() as conn:
            rows = (await conn.execute(query.order_by(a.id))).all()
        packs = {r.list_uri for r in rows if r.kind == "starterpack"}
        made = [
            Made("packlist" if r.uri in packs else r.kind, r.uri, r.uri, ("artefact_log", r.uri))
            for r in rows
        ]
        return sorted(made, key=lambda m: m.kind != "starterpack")

    async def backup(self, user_id: int, network: str) -> Backup | None:
        """The profile before the bot first copied over it, unless restored since."""
        b = profile_backups.c
        query = select(profile_backups).where(
            b.user_id == user_id, b.network == network, b.restored_at.is_(None)
        )
        async with self.db.begin() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return Backup(network, dict(row.fields), row.avatar, row.banner, row.created_at)

    # -- writing ---------------------------------------------------------------------------

    async def keep_backup(self, user_id: int, backup: Backup) -> bool:
        """Keep the profile as it is before a copy, unless one is already kept (the first
        copy's "before" is what undo restores); whether it was kept."""
        if await self.backup(user_id, backup.network) is not None:
            return False
        b = profile_backups.c
        values = {"fields": backup.fields, "avatar": backup.avatar, "banner": backup.banner,
                  "created_at": utc_now(), "restored_at": None}  # fmt: skip
        where = and_(b.user_id == user_id, b.network == backup.network)
        async with self.db.begin() as conn:
            changed = await conn.execute(update(profile_backups).where(where).values(**values))
            if not changed.rowcount:
                await conn.execute(
                    insert(profile_backups).values(
                        user_id=user_id, network=backup.network, **values
                    )
                )
        return True

    async def log_artefact(
        self,
        user_id: int,
        network: str,
        kind: str,
        uri: str,
        *,
        cid: str | None = None,
        list_uri: str | None = None,
        org_id: int | None = None,
    ) -> None:
        async with self.db.begin() as conn:
            await conn.execute(
                insert(artefact_log).values(
                    user_id=user_id, org_id=org_id, network=network, kind=kind, uri=uri,
                    cid=cid, list_uri=list_uri, status="made", created_at=utc_now(),
                )
            )  # fmt: skip

    async def org_pack(self, org_ids: Sequence[int]) -> dict[str, str] | None:
        """The latest starter pack made for one of `org_ids` (in that order of preference)
        and not undone, as a strongRef {uri, cid}."""
        a = artefact_log.c
        for org_id in org_ids:
            query = (
                select(a.uri, a.cid)
                .where(a.org_id == org_id, a.kind == "starterpack", a.status == "made")
                .order_by(a.id.desc())
                .limit(1)
            )
            async with self.db.begin() as conn:
                row = (await conn.execute(query)).first()
            if row is not None and row.cid:
                return {"uri": row.uri, "cid": row.cid}
        return None

    async def undone(
        self,
        job: Job,
        items: Iterable[Made],
        checkpoint: dict[str, Any],
        *,
        skipped: int = 0,
        failed: int = 0,
    ) -> None:
        """Mark `items` undone, count them done (a list's items are not counted: their
        list is) and save `checkpoint`, in one transaction."""
        now = utc_now()
        done = 0
        async with self.db.begin() as conn:
            for item in items:
                if item.ref is not None:
                    marked = await _mark(conn, job.user_id, item.ref, now)
                    done += marked if item.kind not in UNCOUNTED else 0
            await conn.execute(counted(job.id, checkpoint, done, skipped, failed))


def _account(row: Any) -> str | None:
    """The account a follow job wrote from (Mastodon jobs keep it in their params)."""
    account = (row.params or {}).get("account")
    return str(account) if account else None


async def _mark(conn: AsyncConnection, user_id: int, ref: tuple[Any, ...], now: Any) -> int:
    table = ref[0]
    if table == "follow_log":
        f = follow_log.c
        where = and_(f.user_id == user_id, f.network == ref[1], f.target == ref[2],
                     f.status != "undone")  # fmt: skip
        statement = update(follow_log).where(where).values(status="undone")
    elif table == "post_log":
        p = post_log.c
        where = and_(p.user_id == user_id, p.tweet_id == ref[1], p.part == ref[2],
                     p.status == "posted")  # fmt: skip
        statement = update(post_log).where(where).values(status="undone")
    elif table == "artefact_log":
        a = artefact_log.c
        where = and_(a.user_id == user_id, a.uri == ref[1], a.status == "made")
        statement = update(artefact_log).where(where).values(status="undone", undone_at=now)
    else:  # profile_backups
        b = profile_backups.c
        where = and_(b.user_id == user_id, b.network == ref[1], b.restored_at.is_(None))
        statement = update(profile_backups).where(where).values(restored_at=now)
    return int((await conn.execute(statement)).rowcount or 0)
