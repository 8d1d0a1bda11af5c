"""The roster in the matching directory: `org_roster` entries, added and withdrawn.

Admins' CSV rows are vouched by the organisation (``x_proof="org_vouch"``); the vouch counts
only once the bot's administrators approved the organisation (read with the row, see
`chatbot.storage.directory`). A member's entries are the member's own claim: they carry no
proof copied from another row (a proof belongs to the row it was made for, threat model
§4.2 D3), only ``login`` for an account the member connected. Entries carry the
organisation's id (``org:<id>``, see `detail`) in ``provenance_detail``, never its name: a
rename or a namesake must not lose or take them. A member's entries are refreshed when
their links or connections change (`refresh_user`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, or_, select

from chatbot.matching.model import DirectoryEntry, NewAccountProof, Provenance, XProof
from chatbot.orgs.store import Organisation, OrgStore, RosterRow
from chatbot.storage.db import Database
from chatbot.storage.directory import DirectoryStore
from chatbot.storage.links import UserLinks
from chatbot.storage.schema import connected_accounts, directory_entries

if TYPE_CHECKING:
    from chatbot.services import Services

ROSTER: Provenance = "org_roster"


@dataclass(frozen=True)
class MemberAccounts:
    """What a member linked or connected: their X account and their new handles (``login``
    when connected: the connection is the proof)."""

    x_id: int | None = None
    x_username: str | None = None
    bluesky_did: str | None = None
    bluesky_handle: str | None = None
    bluesky_proof: NewAccountProof = "none"
    mastodon_acct: str | None = None
    mastodon_proof: NewAccountProof = "none"

    @property
    def moved(self) -> bool:
        return bool(self.bluesky_did or self.bluesky_handle or self.mastodon_acct)


async def member_accounts(
    db: Database, user_id: int, owner: tuple[str | None, str | None]
) -> MemberAccounts:
    """The member's accounts; `owner` is their archive's (X id, screen name), if any."""
    x_id = int(owner[0]) if owner[0] and owner[0].isdigit() else None
    x_username = owner[1]
    bluesky: tuple[str | None, str | None, NewAccountProof] | None = None
    mastodon: tuple[str | None, NewAccountProof] | None = None
    for entry in await UserLinks(db).of_user(user_id):  # their proofs stay on those rows
        x_id = x_id or entry.x_id
        x_username = x_username or entry.x_username
        if entry.network == "bluesky" and bluesky is None:
            bluesky = (entry.did, entry.handle, "none")
        if entry.network == "mastodon" and mastodon is None:
            mastodon = (entry.acct or entry.handle, "none")
    c = connected_accounts.c
    query = select(c.network, c.handle, c.did).where(c.user_id == user_id)
    async with db.begin() as conn:
        for network, handle, did in await conn.execute(query):
            if network == "bluesky":
                bluesky = (did, handle, "login")
            elif network == "mastodon":
                mastodon = (handle, "login")
    accounts = MemberAccounts(x_id=x_id, x_username=x_username)
    if bluesky is not None:
        accounts = replace(
            accounts, bluesky_did=bluesky[0], bluesky_handle=bluesky[1], bluesky_proof=bluesky[2]
        )
    if mastodon is not None:
        accounts = replace(accounts, mastodon_acct=mastodon[0], mastodon_proof=mastodon[1])
    return accounts


def detail(org: Organisation) -> str:
    """The stable mark of the organisation's entries (its name may change or be shared)."""
    return f"org:{org.id}"


def _base(org: Organisation, x_id: int, x_username: str | None, x_proof: XProof) -> DirectoryEntry:
    return DirectoryEntry(
        x_id=x_id,
        x_username=x_username,
        network="bluesky",
        handle=None,
        provenance=ROSTER,
        provenance_detail=detail(org),
        x_proof=x_proof,
    )


def member_entries(org: Organisation, accounts: MemberAccounts) -> list[DirectoryEntry]:
    if accounts.x_id is None:
        return []  # the directory is keyed by X id: nothing to say without one
    base = _base(org, accounts.x_id, accounts.x_username, "none")
    entries = []
    if accounts.bluesky_did or accounts.bluesky_handle:
        entries.append(
            replace(
                base,
                handle=accounts.bluesky_handle,
                did=accounts.bluesky_did,
                new_account_proof=accounts.bluesky_proof,
            )
        )
    if accounts.mastodon_acct:
        entries.append(
            replace(
                base,
                network="mastodon",
                handle=accounts.mastodon_acct,
                acct=accounts.mastodon_acct,
                new_account_proof=accounts.mastodon_proof,
            )
        )
    return entries


def roster_entries(org: Organisation, rows: Sequence[RosterRow]) -> list[DirectoryEntry]:
    """The admins' rows that have an X id, vouched by the organisation."""
    entries = []
    for row in rows:
        if row.x_id is None:
            continue
        base = _base(org, row.x_id, row.x_username, "org_vouch")
        if row.bluesky:
            did = row.bluesky if row.bluesky.startswith("did:") else None
            entries.append(replace(base, handle=None if did else row.bluesky, did=did))
        if row.mastodon:
            entries.append(
                replace(base, network="mastodon", handle=row.mastodon, acct=row.mastodon)
            )
    return entries


async def publish_member(
    db: Database, org: Organisation, user_id: int, accounts: MemberAccounts
) -> int:
    """Put the member's handles in the directory under the organisation; how many entries."""
    await withdraw_member(db, org, user_id)
    entries = member_entries(org, accounts)
    store = DirectoryStore(db)
    for entry in entries:
        await store.save(entry, user_id=user_id)
    return len(entries)


async def publish_listed(services: Services, org: Organisation, user_id: int) -> MemberAccounts:
    """Publish a listed member's current accounts (from their archive, links, connections)."""
    parsed = await services.archives.load(user_id)
    owner = (parsed.owner.account_id, parsed.owner.username) if parsed else (None, None)
    accounts = await member_accounts(services.db, user_id, owner)
    await publish_member(services.db, org, user_id, accounts)
    return accounts


async def refresh_members(services: Services, org: Organisation) -> None:
    """Bring the listed members' entries up to date (they may have connected since)."""
    for member in await OrgStore(services.db).members(org.id, roster_only=True):
        await publish_listed(services, org, member.user_id)


async def refresh_user(services: Services, user_id: int) -> None:
    """Bring the user's entries up to date in every roster they are listed in: called when
    they connect, link, disconnect or unlink an account, or prove a link."""
    store = OrgStore(services.db)
    for org in await store.orgs_of_user(user_id):
        member = await store.member(org.id, user_id)
        if member is not None and member.roster:
            await publish_listed(services, org, user_id)


async def withdraw_member(db: Database, org: Organisation, user_id: int) -> None:
    d = directory_entries.c
    query = delete(directory_entries).where(
        d.user_id == user_id, d.provenance == ROSTER, d.provenance_detail == detail(org)
    )
    async with db.begin() as conn:
        await conn.execute(query)


async def publish_roster(db: Database, org: Organisation, rows: Sequence[RosterRow]) -> int:
    """Replace the organisation's vouched entries with `rows`; how many entries were saved."""
    await withdraw_roster(db, org, await OrgStore(db).roster(org.id))
    await OrgStore(db).replace_roster(org.id, rows)
    entries = roster_entries(org, rows)
    store = DirectoryStore(db)
    for entry in entries:
        await store.save(entry)
    return len(entries)


async def withdraw_roster(db: Database, org: Organisation, rows: Sequence[RosterRow]) -> None:
    """Delete the vouched entries of `rows` (only those the organisation put there)."""
    d = directory_entries.c
    keys = [(e.x_id, e.network, e.target) for e in roster_entries(org, rows)]
    if not keys:
        return
    matches = [and_(d.x_id == x, d.network == n, d.target == t) for x, n, t in keys]
    query = delete(directory_entries).where(
        d.user_id.is_(None),
        d.provenance == ROSTER,
        d.provenance_detail == detail(org),
        or_(*matches),
    )
    async with db.begin() as conn:
        await conn.execute(query)


async def withdraw_org(db: Database, org: Organisation) -> None:
    """Every directory entry the organisation contributed (members' and admins')."""
    store = OrgStore(db)
    for member in await store.members(org.id):
        await withdraw_member(db, org, member.user_id)
    await withdraw_roster(db, org, await store.roster(org.id))


async def purge(db: Database, org: Organisation) -> None:
    """Delete the organisation's shared data: directory entries, members, roster, snapshots."""
    await withdraw_org(db, org)
    await OrgStore(db).delete(org.id)


async def forget_user(db: Database, user_id: int) -> None:
    """Remove the user from every organisation and its roster (`/forget`)."""
    store = OrgStore(db)
    for org in await store.orgs_of_user(user_id):
        await withdraw_member(db, org, user_id)
        await store.remove_member(org.id, user_id)
