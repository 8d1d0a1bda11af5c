"""Threads accounts of X contacts: directory rows, bio cross-links, WebFinger on names.

Only Threads accounts whose owners turned on fediverse sharing can be found or followed
(`chatbot.networks.threads`); they are reported as their own network, ``threads``, with
the acct ``user@threads.net``. The evidence rules are those of the other networks
(each has a test in tests/matching/test_threads.py):

T1  A directory row of network ``threads``: the tier `spoofing.judge_entries` gives every
    row. With a reader, a row whose account no longer answers is dropped.
T2  A Threads account that the bio of a matched Bluesky profile or Mastodon account links
    or names, and that answers: likely when that match is verified, or when it is likely
    and the Threads bio links back (to the X account, the Bluesky handle or the Mastodon
    acct: a two-way cross-link); possible otherwise (as R8).
T3  The X screen name from the user's own archive answers on threads.net: possible (a name
    alone proves nothing); likely when the Threads bio also links the X account (as R2);
    capped at possible when the name is reused or the account renamed (R7). Names only
    other users' archives know are not looked up (too weak, and it saves the budget).

Every lookup goes through the reader, within the user's lookup budget (service
``threads``): a spent budget skips lookups, it never fails the run. Neither does Threads
not answering: the other networks' matches stand, the directory rows are kept unchecked,
and the user is told that Threads was not searched (as for a spent budget).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chatbot.matching import candidates as cand
from chatbot.matching.model import DirectoryEntry, Reason, Tier, worst_tier
from chatbot.matching.scoring import Identity
from chatbot.matching.text import mastodon_accts, same_acct, x_names_linked
from chatbot.networks import lookup_budget
from chatbot.networks.threads_names import (
    ThreadsAccount,
    ThreadsReader,
    threads_acct,
    threads_in_text,
    threads_username,
)
from chatbot.networks.types import MastodonReader, NetworkUnavailable

if TYPE_CHECKING:
    from chatbot.matching.engine import _Run

log = logging.getLogger(__name__)
MAX_NAME_LOOKUPS = 1  # screen names tried per X id on threads.net (the most used one)


@dataclass(frozen=True)
class Parent:
    """A matched account on another network whose bio may name a Threads account."""

    x_id: int
    tier: Tier
    network: str  # "bluesky" | "mastodon"
    handle: str  # the Bluesky handle or the Mastodon acct
    bio: str


@dataclass(frozen=True)
class Found:
    x_id: int
    tier: Tier
    reasons: tuple[Reason, ...]
    username: str

    @property
    def acct(self) -> str:
        return threads_acct(self.username)


def links_back(account: ThreadsAccount, identity: Identity | None, parent: Parent | None) -> bool:
    """The Threads bio names the X account, or the account whose bio named it."""
    note = account.note or ""
    if identity is not None and set(identity.names) & x_names_linked(note):
        return True
    if parent is None:
        return False
    if parent.network == "mastodon":
        return any(same_acct(acct, parent.handle) for acct in mastodon_accts(note))
    return parent.handle.lower() in note.lower()


def from_parent(parent: Parent, account: ThreadsAccount, identity: Identity | None) -> Found:
    """T2: a Threads account named in a matched profile's bio."""
    reasons = [Reason.of(f"threads_in_{parent.network}_bio", handle=parent.handle)]
    back = links_back(account, identity, parent)
    if back:
        reasons.append(Reason.of("threads_links_back"))
    tier: Tier = (
        "likely" if parent.tier == "verified" or (parent.tier == "likely" and back) else "possible"
    )
    return Found(parent.x_id, tier, tuple(reasons), account.username)


def from_name(identity: Identity, account: ThreadsAccount) -> Found:
    """T3: the X name, found on threads.net."""
    name = account.username
    reasons = [identity.name_reason(name), Reason.of("threads_same_name", name=name)]
    tier: Tier = "possible"
    if name in x_names_linked(account.note):
        reasons.append(Reason.of("threads_bio_links_x", name=name))
        tier = "likely"
    if name in identity.reused:
        tier = worst_tier(tier, "possible")
        reasons.append(Reason.of("name_reused", name=name))
    elif tier == "likely" and len(identity.names) > 1:
        tier = "possible"
        others = [n for n in identity.names if n != name]
        reasons.append(Reason.of("name_changed", name=others[0]))
    if tier == "possible" and len(reasons) == 2:
        reasons.append(Reason.of("handle_only"))
    return Found(identity.x_id, tier, tuple(reasons), name)


def own_names(identity: Identity) -> list[str]:
    """The names of `identity` worth a WebFinger: from the user's own archive only."""
    own = {n.lower() for n in identity.own}
    return [n for n in identity.names if n in own][:MAX_NAME_LOOKUPS]


async def lookups(
    reader: ThreadsReader, usernames: Sequence[str], concurrency: int
) -> tuple[dict[str, ThreadsAccount], set[str]]:
    """The accounts found, and the names Threads said it does not know (a name left out by
    a spent budget is in neither)."""
    unique = list(dict.fromkeys(usernames))

    async def one(name: str) -> ThreadsAccount | str:
        return await reader.lookup(name) or name

    results = await cand.bounded(unique, one, concurrency)
    found = {r.username: r for r in results if isinstance(r, ThreadsAccount)}
    return found, {r for r in results if isinstance(r, str)}


async def parents_of(run: _Run, mastodon: MastodonReader | None) -> list[Parent]:
    """The matched Bluesky profiles and Mastodon accounts, with their bios."""
    out = [
        Parent(x_id, tier, "bluesky", p.handle, f"{p.description or ''}\n{p.display_name or ''}")
        for x_id, tier, p in run.parents
    ]
    rows = [m for m in run.rows if m.network == "mastodon" and m.acct]
    if mastodon is not None and rows:  # looked up by the matching already: from the cache
        accounts = await cand.lookup_many(
            mastodon, [str(m.acct) for m in rows], concurrency=run.concurrency
        )
        for match in rows:
            hit = accounts.get(str(match.acct).lower())
            if hit is not None:
                bio = f"{hit[0].note or ''}\n{hit[0].display_name or ''}"
                out.append(Parent(match.x_id, match.tier, "mastodon", str(match.acct), bio))
    return out


async def find_threads(
    run: _Run,
    reader: ThreadsReader | None,
    mastodon: MastodonReader | None,
    entries: Sequence[tuple[int, Tier, tuple[Reason, ...], DirectoryEntry]],
) -> None:
    """Add the Threads matches of T1-T3 to `run` (T1 alone without a reader)."""
    parents = await parents_of(run, mastodon) if reader is not None else []
    named = [(parent, name) for parent in parents for name in threads_in_text(parent.bio)]
    people = [p for p in run.people.values() if own_names(p)]
    wanted = [threads_username(e.acct or e.handle or "") for _, _, _, e in entries]
    accounts: dict[str, ThreadsAccount] = {}
    missing: set[str] = set()
    if reader is not None:
        usernames = [n for n in wanted if n] + [name for _, name in named]
        usernames += [name for person in people for name in own_names(person)]
        try:
            accounts, missing = await lookups(reader, usernames, run.concurrency)
        except NetworkUnavailable as exc:
            log.info("Threads lookups skipped: %s", exc)
            lookup_budget.not_searched("threads")
            reader, named, people = None, [], []
    for (x_id, tier, reasons, entry), username in zip(entries, wanted, strict=True):
        if username is None or username in missing:
            continue  # not a Threads address, or it no longer answers
        acct = threads_acct(username)
        run.add(x_id, "threads", tier, reasons, handle=acct, acct=acct,
                x_username=entry.x_username)  # fmt: skip
    found = [
        from_parent(parent, accounts[name], run.people.get(parent.x_id))
        for parent, name in named
        if name in accounts
    ]
    found += [
        from_name(person, accounts[name])
        for person in people
        for name in own_names(person)
        if name in accounts
    ]
    for item in found:
        run.add(item.x_id, "threads", item.tier, item.reasons, handle=item.acct, acct=item.acct)
