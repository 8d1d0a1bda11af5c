"""What the organisation's shared artefacts contain: its roster's accounts.

Listed members (those who agreed to be in the roster) and the admins' CSV rows give the
Bluesky DIDs of a starter pack or a list, and the Mastodon accts of an import file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from chatbot.networks.types import NetworkUnavailable
from chatbot.orgs.publish import member_accounts
from chatbot.orgs.store import Organisation, OrgStore
from chatbot.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RosterAccounts:
    dids: list[str]  # Bluesky DIDs, members first, once each
    accts: list[str]  # Mastodon accts, once each
    unresolved: int  # Bluesky handles that could not be turned into DIDs


async def roster_accounts(services: Services, org: Organisation) -> RosterAccounts:
    store = OrgStore(services.db)
    dids: dict[str, None] = {}
    accts: dict[str, None] = {}
    handles: list[str] = []
    for member in await store.members(org.id, roster_only=True):
        accounts = await member_accounts(services.db, member.user_id, (None, None))
        if accounts.bluesky_did:
            dids.setdefault(accounts.bluesky_did, None)
        elif accounts.bluesky_handle:
            handles.append(accounts.bluesky_handle)
        if accounts.mastodon_acct:
            accts.setdefault(accounts.mastodon_acct, None)
    for row in await store.roster(org.id):
        if row.bluesky and row.bluesky.startswith("did:"):
            dids.setdefault(row.bluesky, None)
        elif row.bluesky:
            handles.append(row.bluesky)
        if row.mastodon:
            accts.setdefault(row.mastodon, None)
    unresolved = 0
    for handle in handles:
        did = await _resolve(services, handle)
        if did is None:
            unresolved += 1
        else:
            dids.setdefault(did, None)
    return RosterAccounts(list(dids), list(accts), unresolved)


async def _resolve(services: Services, handle: str) -> str | None:
    if services.bluesky is None:
        return None
    try:
        return await services.bluesky.resolve_handle(handle)
    except NetworkUnavailable:
        log.info("could not resolve a roster handle: Bluesky unavailable")
        return None
