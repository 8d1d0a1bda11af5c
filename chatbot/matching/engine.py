"""The orchestration: a parsed archive + the directory + the networks -> matches with reasons.

Both directions (accounts followed, and followers); blocked and muted accounts and the
owner are never proposed; rejected matches are never proposed again, confirmed ones are
flagged. Without readers (offline) only the directory is used: a handle guessed from a
name is never a match (`chatbot.matching.guesses` lists them apart for the command line).

The contacts stay packed (`Contacts`): the directory takes all of them at once and
answers with the few it knows, and only ids with a name, a directory entry or an
observation become `Identity` objects. An organisation with millions of followers is
matched in seconds and in memory that grows with what is known, not with the list.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType

from chatbot.archive.model import ParsedArchive
from chatbot.matching import candidates as cand
from chatbot.matching.contacts import Contacts
from chatbot.matching.directory import DirectoryReader
from chatbot.matching.graph_collect import graph_evidence
from chatbot.matching.model import (
    TIER_RANK,
    Decisions,
    Direction,
    DirectoryEntry,
    Match,
    Network,
    Observations,
    Reason,
    Tier,
)
from chatbot.matching.scoring import (
    Identity,
    Scored,
    bio_claims,
    excluded,
    resolve_conflicts,
    score_bluesky,
    score_mastodon,
)
from chatbot.matching.spoofing import judge_entries
from chatbot.matching.text import (
    bridged_acct_of,
    bridgy_bluesky_handle,
    bridgy_mastodon_acct,
    mastodon_accts,
)
from chatbot.matching.threads import find_threads
from chatbot.networks.threads_names import ThreadsReader
from chatbot.networks.types import BlueskyProfile, BlueskyReader, MastodonReader

NOTHING: Mapping[str, int] = MappingProxyType({})  # shared by the many ids without names
NONE: frozenset[str] = frozenset()


def identities(
    parsed: ParsedArchive, x_ids: Iterable[int], observations: Observations
) -> dict[int, Identity]:
    """What is known of each id's screen names, and which names are tied to several ids.

    `x_ids` are the ids something is known about (`known`), not every contact."""
    own_holders: Counter[str] = Counter()
    for names in parsed.handles.values():
        own_holders.update({n.lower() for n in names})
    out: dict[int, Identity] = {}
    for x_id in x_ids:
        handles = parsed.handles.get(x_id)
        own = dict(handles) if handles else NOTHING
        observed = observations.names(x_id)
        reused = set()
        for name in {n.lower() for n in (*own, *observed)}:
            if own_holders[name] > 1:
                reused.add(name)
            if any(other != x_id for other in observations.ids(name)):
                reused.add(name)
        out[x_id] = Identity(
            x_id, own, dict(observed) if observed else NOTHING, frozenset(reused) or NONE
        )
    return out


def known(
    contacts: Contacts,
    parsed: ParsedArchive,
    entries: dict[int, list[DirectoryEntry]],
    observations: Observations,
) -> list[int]:
    """The contacts with a name in the archive, a directory entry or an observation."""
    found = set(contacts.among(parsed.handles)) | set(entries)
    found.update(x_id for x_id, names in observations.names_by_id.items() if names)
    return sorted(found)


class _Run:
    def __init__(
        self,
        parsed: ParsedArchive,
        bluesky: BlueskyReader | None,
        mastodon: MastodonReader | None,
        concurrency: int,
        contacts: Contacts | None = None,
    ) -> None:
        self.parsed = parsed
        self.bluesky = bluesky
        self.mastodon = mastodon
        self.concurrency = concurrency
        self.contacts = contacts or Contacts.of(parsed)
        self.people: dict[int, Identity] = {}  # the contacts something is known about
        self.directions: dict[int, Direction] = {}
        self.rows: list[Match] = []
        # matched Bluesky profiles, to look for the Mastodon accounts they name
        self.parents: list[tuple[int, Tier, BlueskyProfile]] = []
        # Mastodon directory links, to offer their Bridgy Fed handle on Bluesky
        self.bridgeable: list[tuple[int, Tier, str, tuple[Reason, ...]]] = []
        # Threads directory links, judged like the others (`chatbot.matching.threads`)
        self.threads_entries: list[tuple[int, Tier, tuple[Reason, ...], DirectoryEntry]] = []
        # one copy of each distinct list of reasons: thousands of directory entries of one
        # import share the same ones
        self.reasons: dict[tuple[Reason, ...], tuple[Reason, ...]] = {}

    def add(
        self,
        x_id: int,
        network: Network,
        tier: Tier,
        reasons: tuple[Reason, ...],
        *,
        handle: str | None,
        did: str | None = None,
        acct: str | None = None,
        x_username: str | None = None,
    ) -> None:
        person = self.people.get(x_id)
        self.rows.append(
            Match(
                x_id=x_id,
                x_username=(person.best_name if person else None) or x_username,
                network=network,
                handle=handle,
                did=did,
                acct=acct,
                tier=tier,
                reasons=reasons,
                direction=self.directions.get(x_id) or self.contacts.direction(x_id),
            )
        )

    async def directory(
        self, entries: dict[int, list[DirectoryEntry]], observations: Observations
    ) -> None:
        profiles: dict[str, BlueskyProfile] = {}
        actors = [
            e.did or e.handle for es in entries.values() for e in es if e.network == "bluesky"
        ]
        if self.bluesky is not None:
            wanted = [a for a in actors if a]
            profiles = await cand.fetch_profiles(
                self.bluesky, wanted, concurrency=self.concurrency
            )
        accts = [
            e.acct for es in entries.values() for e in es if e.network == "mastodon" and e.acct
        ]
        accounts = {}
        if self.mastodon is not None:
            accounts = await cand.lookup_many(self.mastodon, accts, concurrency=self.concurrency)
        for x_id, group in entries.items():
            own = self.parsed.handles.get(x_id)  # the user's own archive: trusted for them
            for entry, verdict in zip(group, judge_entries(group, observations, own=own),
                                      strict=True):  # fmt: skip
                tier = verdict.tier
                reasons = self.reasons.setdefault(verdict.reasons, verdict.reasons)
                if entry.network == "threads":
                    self.threads_entries.append((x_id, tier, reasons, entry))
                    continue
                if entry.network == "bluesky":
                    handle, did = entry.handle, entry.did
                    if self.bluesky is not None:
                        profile = profiles.get(did or "") or profiles.get((handle or "").lower())
                        if profile is None or excluded(profile):
                            continue  # deleted, or labelled since it was linked
                        handle, did = profile.handle, profile.did
                        self.parents.append((x_id, tier, profile))
                    self.add(
                        x_id, "bluesky", tier, reasons,
                        handle=handle, did=did, x_username=entry.x_username,
                    )  # fmt: skip
                    continue
                acct = entry.acct or ""
                if self.mastodon is not None:
                    hit = accounts.get(acct.lower())
                    if hit is None:
                        continue  # gone
                    if hit[0].acct.lower() != acct.lower():
                        reasons = (*reasons, Reason.of("moved", old=acct, new=hit[0].acct))
                        acct = hit[0].acct
                self.add(
                    x_id, "mastodon", tier, reasons,
                    handle=acct, acct=acct, x_username=entry.x_username,
                )  # fmt: skip
                self.bridgeable.append((x_id, tier, acct, reasons))

    async def search_bluesky(self, people: list[Identity], reader: BlueskyReader) -> None:
        pools = await cand.bluesky_candidates(people, reader, concurrency=self.concurrency)
        for x_id, pool in pools.items():
            person = self.people[x_id]
            claimants = sum(1 for p in pool if not excluded(p) and bio_claims(p, person))
            for profile in pool:
                result = score_bluesky(person, profile, claimants=claimants)
                if result is None:
                    continue
                self.add(
                    x_id, "bluesky", result.tier, result.reasons,
                    handle=profile.handle, did=profile.did,
                )  # fmt: skip
                self.parents.append((x_id, result.tier, profile))

    async def mastodon_from_bluesky(self, reader: MastodonReader) -> None:
        named: list[tuple[int, Tier, BlueskyProfile, str, bool]] = []
        for x_id, tier, profile in self.parents:
            bridged = bridged_acct_of(profile.handle)
            if bridged:
                named.append((x_id, tier, profile, bridged, True))
            elif tier != "possible":  # the account seen through Bridgy Fed, if it resolves
                named.append((x_id, tier, profile, bridgy_mastodon_acct(profile.handle), True))
            for text in (profile.description, profile.display_name):
                named.extend((x_id, tier, profile, acct, False) for acct in mastodon_accts(text))
        accounts = await cand.lookup_many(
            reader, [n[3] for n in named], concurrency=self.concurrency
        )
        for x_id, tier, profile, acct, via_bridge in named:
            hit = accounts.get(acct.lower())
            if hit is None:
                continue
            account = hit[0]
            result = score_mastodon(tier, account, self.people[x_id], profile.handle)
            reasons = result.reasons
            if via_bridge:  # the same account, seen through Bridgy Fed
                tier_b = tier if TIER_RANK[tier] < TIER_RANK["verified"] else "likely"
                reasons = (Reason.of("bridged_account", handle=profile.handle),)
                result = Scored(tier_b, reasons)
            if account.acct.lower() != acct.lower():
                reasons = (*reasons, Reason.of("moved", old=acct, new=account.acct))
            self.add(
                x_id, "mastodon", result.tier, reasons, handle=account.acct, acct=account.acct
            )

    async def bridged_on_bluesky(self, reader: BlueskyReader) -> None:
        handles = {acct: bridgy_bluesky_handle(acct) for _, _, acct, _ in self.bridgeable}
        resolved = await cand.resolving(
            reader, [h for h in handles.values() if h], concurrency=self.concurrency
        )
        for x_id, tier, acct, reasons in self.bridgeable:
            handle = handles.get(acct)
            if handle and handle in resolved:
                note = Reason.of("bridged_account", handle=handle)
                self.add(
                    x_id, "bluesky", tier, (*reasons, note), handle=handle, did=resolved[handle]
                )


async def match_archive(
    parsed: ParsedArchive,
    directory: DirectoryReader,
    bluesky: BlueskyReader | None,
    mastodon: MastodonReader | None,
    *,
    decisions: Decisions,
    concurrency: int = 8,
    contacts: Contacts | None = None,
    threads: ThreadsReader | None = None,
    viewer: str | None = None,
) -> list[Match]:
    """Find the X contacts of `parsed` on Bluesky, Mastodon and Threads, best tiers first.

    `contacts`: `Contacts.of(parsed)` when the caller already has it; `viewer`: the DID of
    the user's own Bluesky account, whose follows count as accounts they know."""
    run = _Run(parsed, bluesky, mastodon, concurrency, contacts)
    ids = run.contacts.ids
    entries = await directory.entries(ids)
    # the names the user's archive knows AND the names directory entries claim: a claimed
    # name that other archives tie to another id is what exposes a forged entry
    names = {name for names in parsed.handles.values() for name in names}
    names |= {e.x_username for found in entries.values() for e in found if e.x_username}
    observations = await directory.observations(ids, names)
    ids_known = known(run.contacts, parsed, entries, observations)
    run.people = identities(parsed, ids_known, observations)
    run.directions = run.contacts.directions(ids_known)
    await run.directory(entries, observations)
    verified = {(m.x_id, m.network) for m in run.rows if m.tier == "verified"}
    people = [p for p in run.people.values() if p.names and (p.x_id, "bluesky") not in verified]
    if bluesky is not None:  # offline, names are never guessed into matches (`guesses`)
        await run.search_bluesky(people, bluesky)
        if run.bridgeable:
            await run.bridged_on_bluesky(bluesky)
    if mastodon is not None:
        await run.mastodon_from_bluesky(mastodon)
    if threads is not None or run.threads_entries:
        await find_threads(run, threads, mastodon, run.threads_entries)
    if bluesky is not None:  # the social graph as evidence (chatbot.matching.graph)
        run.rows = await graph_evidence(run.rows, bluesky, viewer=viewer, concurrency=concurrency)
    return apply_decisions(resolve_conflicts(run.rows), decisions)


def apply_decisions(matches: Iterable[Match], decisions: Decisions) -> list[Match]:
    """Rejected matches disappear for good; confirmed ones are flagged. Sorted for display:
    best tier first, and of the accounts claiming one X account, the best supported first.

    A decision is looked up by the match's target (DID or acct) and by its handle, so that
    a match rejected before its DID was known (a directory row read offline) stays gone."""
    out = []
    for match in matches:
        keys = [(match.x_id, match.network, match.target)]
        if match.handle and match.handle != match.target:
            keys.append((match.x_id, match.network, match.handle))
        found = [decisions.get(key) for key in keys]
        if "rejected" in found:
            continue
        out.append(replace(match, confirmed=True) if "confirmed" in found else match)
    out.sort(
        key=lambda m: (
            -TIER_RANK[m.tier],
            m.network,
            (m.x_username or "").lower(),
            m.x_id,
            -(m.support or 0),
        )
    )
    return out
