"""Organisations, their accounts, members, roster rows and daily snapshots (SQL Core)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update

from chatbot.safetext import clean
from chatbot.storage.db import Database
from chatbot.storage.schema import (
    org_accounts,
    org_members,
    org_roster,
    org_snapshots,
    organisations,
)


@dataclass(frozen=True)
class Organisation:
    id: int
    platform: str
    chat_id: str
    name: str
    languages: tuple[str, ...]
    admin_user_id: int | None
    audience_user_id: int | None
    digest: bool
    last_digest_at: dt.datetime | None
    removed_at: dt.datetime | None
    join_token: str
    join_token_issued_at: dt.datetime | None = None  # None: issued before expiry existed
    approved_at: dt.datetime | None = None  # by a bot administrator: its vouches count

    def join_token_expires(self, lifetime: dt.timedelta) -> dt.datetime | None:
        """When the join token stops working (None: it already has, having no date)."""
        issued = self.join_token_issued_at
        return None if issued is None else issued + lifetime

    @property
    def approved(self) -> bool:
        return self.approved_at is not None and self.removed_at is None


@dataclass(frozen=True)
class OrgAccount:
    """The organisation's own account on a network, and whether it is proved to be its."""

    network: str
    handle: str
    code: str | None = None  # to put in its bio
    proved_at: dt.datetime | None = None


@dataclass(frozen=True)
class Member:
    user_id: int
    roster: bool
    joined_at: dt.datetime


@dataclass(frozen=True)
class RosterRow:
    """One official account of the organisation, from an admin's CSV."""

    x_username: str
    x_id: int | None = None
    bluesky: str | None = None  # a handle or a DID
    mastodon: str | None = None  # user@instance


@dataclass(frozen=True)
class Snapshot:
    day: dt.date
    joined: int
    moved: int
    follows: int
    share_bluesky: float | None = None
    share_mastodon: float | None = None


NAME_MAX = 200


def org_name(name: str) -> str:
    """A group administrator's text, shown to members and other users: one clean line."""
    return clean(name, NAME_MAX)


def _org(row: Any) -> Organisation:
    return Organisation(
        id=row.id,
        platform=row.platform,
        chat_id=row.chat_id,
        name=org_name(row.name),
        languages=tuple(row.languages or ()),
        admin_user_id=row.admin_user_id,
        audience_user_id=row.audience_user_id,
        digest=bool(row.digest),
        last_digest_at=row.last_digest_at,
        removed_at=row.removed_at,
        join_token=row.join_token,
        join_token_issued_at=row.join_token_issued_at,
        approved_at=row.approved_at,
    )


def new_join_token() -> str:
    """128 random bits in 22 characters of A-Z a-z 0-9 _ - (a Telegram deep-link payload)."""
    return secrets.token_urlsafe(16)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class OrgStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- organisations -----------------------------------------------------------------

    async def _one(self, *where: Any) -> Organisation | None:
        async with self.db.begin() as conn:
            row = (await conn.execute(select(organisations).where(*where))).first()
        return None if row is None else _org(row)

    async def by_chat(self, platform: str, chat_id: str) -> Organisation | None:
        o = organisations.c
        return await self._one(o.platform == platform, o.chat_id == chat_id)

    async def by_token(self, token: str) -> Organisation | None:
        o = organisations.c
        return await self._one(o.join_token == token, o.removed_at.is_(None))

    async def get(self, org_id: int) -> Organisation | None:
        return await self._one(organisations.c.id == org_id)

    async def setup(
        self, platform: str, chat_id: str, name: str, *, admin_user_id: int, language: str
    ) -> tuple[Organisation, bool]:
        """Register the group's organisation, or rename it: (organisation, created)."""
        name = org_name(name)
        existing = await self.by_chat(platform, chat_id)
        if existing is not None:
            await self._set(existing.id, name=name, admin_user_id=admin_user_id, removed_at=None)
            found = await self.get(existing.id)
            assert found is not None
            return found, False
        async with self.db.begin() as conn:
            await conn.execute(
                insert(organisations).values(
                    platform=platform,
                    chat_id=chat_id,
                    name=name,
                    languages=[language],
                    admin_user_id=admin_user_id,
                    digest=False,
                    created_at=_now(),
                    join_token=new_join_token(),
                    join_token_issued_at=_now(),
                )
            )
        created = await self.by_chat(platform, chat_id)
        assert created is not None
        return created, True

    async def _set(self, org_id: int, **values: Any) -> None:
        query = update(organisations).where(organisations.c.id == org_id).values(**values)
        async with self.db.begin() as conn:
            await conn.execute(query)

    async def rotate_join_token(self, org_id: int) -> str:
        """A new join token, valid from now; the previous one stops working at once."""
        token = new_join_token()
        await self._set(org_id, join_token=token, join_token_issued_at=_now())
        return token

    async def set_languages(self, org_id: int, languages: Sequence[str]) -> None:
        await self._set(org_id, languages=list(languages))

    async def set_audience(self, org_id: int, user_id: int) -> None:
        await self._set(org_id, audience_user_id=user_id)

    async def set_digest(self, org_id: int, on: bool, now: dt.datetime) -> None:
        """Turn the weekly digest on (the first one a week from `now`) or off."""
        await self._set(org_id, digest=on, last_digest_at=now if on else None)

    async def mark_digest(self, org_id: int, when: dt.datetime) -> None:
        await self._set(org_id, last_digest_at=when)

    async def mark_removed(self, org_id: int, when: dt.datetime) -> None:
        await self._set(org_id, removed_at=when)

    async def restore(self, org_id: int) -> None:
        await self._set(org_id, removed_at=None)

    async def active(self) -> list[Organisation]:
        query = select(organisations).where(organisations.c.removed_at.is_(None))
        async with self.db.begin() as conn:
            return [_org(row) for row in await conn.execute(query.order_by(organisations.c.id))]

    async def removed_before(self, cutoff: dt.datetime) -> list[Organisation]:
        query = select(organisations).where(organisations.c.removed_at < cutoff)
        async with self.db.begin() as conn:
            return [_org(row) for row in await conn.execute(query)]

    async def delete(self, org_id: int) -> None:
        """The organisation and, through foreign keys, its members, roster and snapshots."""
        async with self.db.begin() as conn:
            await conn.execute(delete(organisations).where(organisations.c.id == org_id))

    # --- its own accounts --------------------------------------------------------------

    async def set_account(
        self, org_id: int, network: str, handle: str, code: str | None = None
    ) -> None:
        """Set the organisation's account on `network`, not proved yet (with the code to put
        in its bio). A new account ends the approval: it was given for the proved one."""
        a = org_accounts.c
        async with self.db.begin() as conn:
            await conn.execute(
                delete(org_accounts).where(a.org_id == org_id, a.network == network)
            )
            await conn.execute(
                insert(org_accounts).values(
                    org_id=org_id, network=network, handle=handle, code=code
                )
            )
            await conn.execute(
                update(organisations)
                .where(organisations.c.id == org_id)
                .values(approved_at=None, approved_by=None)
            )

    async def accounts(self, org_id: int) -> dict[str, str]:
        return {account.network: account.handle for account in await self.own_accounts(org_id)}

    async def own_accounts(self, org_id: int) -> list[OrgAccount]:
        a = org_accounts.c
        query = select(a.network, a.handle, a.code, a.proved_at).where(a.org_id == org_id)
        async with self.db.begin() as conn:
            rows = await conn.execute(query.order_by(a.network))
            return [OrgAccount(str(n), str(h), c, p) for n, h, c, p in rows]

    async def prove_account(self, org_id: int, network: str, when: dt.datetime) -> None:
        a = org_accounts.c
        query = (
            update(org_accounts)
            .where(a.org_id == org_id, a.network == network)
            .values(proved_at=when)
        )
        async with self.db.begin() as conn:
            await conn.execute(query)

    async def set_approval(self, org_id: int, by: str | None, when: dt.datetime) -> None:
        """Approve the organisation (`by`: the bot administrator) or, with None, revoke."""
        values = {"approved_at": when if by else None, "approved_by": by}
        await self._set(org_id, **values)

    # --- members -----------------------------------------------------------------------

    async def add_member(self, org_id: int, user_id: int) -> bool:
        """Link the user to the organisation; False if they were a member already."""
        if await self.member(org_id, user_id) is not None:
            return False
        async with self.db.begin() as conn:
            await conn.execute(
                insert(org_members).values(
                    org_id=org_id, user_id=user_id, roster=False, joined_at=_now()
                )
            )
        return True

    async def member(self, org_id: int, user_id: int) -> Member | None:
        m = org_members.c
        query = select(org_members).where(m.org_id == org_id, m.user_id == user_id)
        async with self.db.begin() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else Member(row.user_id, bool(row.roster), row.joined_at)

    async def members(self, org_id: int, *, roster_only: bool = False) -> list[Member]:
        m = org_members.c
        query = select(org_members).where(m.org_id == org_id)
        if roster_only:
            query = query.where(m.roster.is_(True))
        async with self.db.begin() as conn:
            rows = await conn.execute(query.order_by(m.joined_at, m.user_id))
            return [Member(row.user_id, bool(row.roster), row.joined_at) for row in rows]

    async def set_roster(self, org_id: int, user_id: int, listed: bool) -> None:
        m = org_members.c
        query = (
            update(org_members)
            .where(m.org_id == org_id, m.user_id == user_id)
            .values(roster=listed)
        )
        async with self.db.begin() as conn:
            await conn.execute(query)

    async def remove_member(self, org_id: int, user_id: int) -> bool:
        m = org_members.c
        query = delete(org_members).where(m.org_id == org_id, m.user_id == user_id)
        async with self.db.begin() as conn:
            return bool((await conn.execute(query)).rowcount)

    async def orgs_of_user(self, user_id: int) -> list[Organisation]:
        query = (
            select(organisations)
            .join(org_members, org_members.c.org_id == organisations.c.id)
            .where(org_members.c.user_id == user_id)
            .order_by(organisations.c.id)
        )
        async with self.db.begin() as conn:
            return [_org(row) for row in await conn.execute(query)]

    # --- the admins' roster ------------------------------------------------------------

    async def replace_roster(self, org_id: int, rows: Sequence[RosterRow]) -> None:
        async with self.db.begin() as conn:
            await conn.execute(delete(org_roster).where(org_roster.c.org_id == org_id))
            if rows:
                await conn.execute(
                    insert(org_roster), [{"org_id": org_id, **vars(row)} for row in rows]
                )

    async def roster(self, org_id: int) -> list[RosterRow]:
        r = org_roster.c
        query = select(r.x_username, r.x_id, r.bluesky, r.mastodon).where(r.org_id == org_id)
        async with self.db.begin() as conn:
            rows = await conn.execute(query.order_by(r.id))
            return [
                RosterRow(name, None if x_id is None else int(x_id), bluesky, mastodon)
                for name, x_id, bluesky, mastodon in rows
            ]

    # --- daily snapshots ---------------------------------------------------------------

    async def save_snapshot(self, org_id: int, snapshot: Snapshot) -> None:
        """Record (or replace) the organisation's numbers of `snapshot.day`."""
        s = org_snapshots.c
        async with self.db.begin() as conn:
            await conn.execute(
                delete(org_snapshots).where(s.org_id == org_id, s.day == snapshot.day)
            )
            await conn.execute(insert(org_snapshots).values(org_id=org_id, **vars(snapshot)))

    async def snapshots(self, org_id: int) -> list[Snapshot]:
        s = org_snapshots.c
        query = select(org_snapshots).where(s.org_id == org_id).order_by(s.day)
        async with self.db.begin() as conn:
            return [
                Snapshot(
                    row.day,
                    row.joined,
                    row.moved,
                    row.follows,
                    row.share_bluesky,
                    row.share_mastodon,
                )
                for row in await conn.execute(query)
            ]
