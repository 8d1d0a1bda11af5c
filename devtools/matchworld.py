"""A seeded ground-truth world for the matcher: X accounts, their Bluesky/Mastodon accounts,
strangers, impostors, a directory and a test user's parsed archive.

What it contains (rates in `WorldParams`): X accounts with and without Bluesky and
Mastodon accounts; homonyms (display names drawn from small pools, strangers squatting
common handles); renamed X accounts whose old name was re-registered by someone else;
custom-domain handles; Bridgy Fed bridged accounts; moved Mastodon accounts; directory
links with every provenance and proof level, withdrawn consents; impostors claiming
someone else's X id with a forged archive (login-proved new account, no X proof or an
oEmbed proof from their own X account, a poisoned observation); a few targeted
impersonators squatting the exact handle with a cross-link; blocked and muted accounts.
`truth` says which targets are right; `findable_directory` / `findable_handle` list the
(x_id, network) pairs findable through the directory / through a recovered handle.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from chatbot.archive.model import Owner, ParsedArchive, id_array
from chatbot.matching.directory import MemoryDirectory
from chatbot.matching.model import DirectoryEntry, NewAccountProof, Provenance, XProof
from chatbot.matching.text import (
    bridgy_bluesky_handle,
    bridgy_mastodon_acct,
    handle_variants,
)
from chatbot.networks.types import BlueskyProfile, MastodonAccount
from devtools.memnet import MemoryBluesky, MemoryMastodon, MemoryOembed

_SYL = "ka lo mi ra ten sor vel an dra li no ber ga tho ine ma ric el os ju pa zu fer wen"
_SYLLABLES = _SYL.split()
_INSTANCES = ["mastodon.social", "mas.to", "piaille.fr", "framapiaf.org", "hachyderm.io"]
_LINKS = ["x.com/{n}", "twitter: @{n}", "Formerly @{n} on Twitter", "https://twitter.com/{n}"]


@dataclass(frozen=True)
class WorldParams:
    seed: int = 7
    population: int = 12000
    following: int = 2000
    followers: int = 1500
    strangers: int = 8000
    p_bluesky: float = 0.5
    p_mastodon: float = 0.25
    p_renamed: float = 0.1
    p_crosslink: float = 0.35
    p_user_link: float = 0.3
    p_org: float = 0.05
    p_csv: float = 0.05
    impostor_rate: float = 0.03  # of the user's contacts, targeted by a forged directory claim
    squatter_rate: float = 0.0005  # exact handle + cross-link impersonation, no label
    p_handle_following: float = 0.55
    p_handle_follower: float = 0.2


@dataclass
class XPerson:
    x_id: int
    name: str
    display: str
    old_name: str | None = None
    did: str | None = None
    handle: str | None = None
    acct: str | None = None  # final Mastodon acct


@dataclass
class World:
    params: WorldParams
    people: dict[int, XPerson]
    archive: ParsedArchive
    directory: MemoryDirectory
    bluesky: MemoryBluesky
    mastodon: MemoryMastodon
    oembed: MemoryOembed
    truth: dict[tuple[int, str], set[str]] = field(default_factory=dict)
    findable_directory: set[tuple[int, str]] = field(default_factory=set)
    findable_handle: set[tuple[int, str]] = field(default_factory=set)
    impostor_targets: set[str] = field(default_factory=set)
    # the harder world (devtools/matchworld_hard.py): X ids whose real Bluesky account
    # carries a genuine cross-link, and the kind of each wrong account that copies someone
    genuine_link: set[int] = field(default_factory=set)
    wrong_kind: dict[str, str] = field(default_factory=dict)
    owner_did: str | None = None  # the user's own Bluesky account, when the world gives one


class _Builder:
    def __init__(self, params: WorldParams) -> None:
        self.p = params
        self.rng = random.Random(params.seed)
        rng = self.rng
        words = {a + b for a in _SYLLABLES for b in _SYLLABLES}
        self.firsts = sorted(w.capitalize() for w in rng.sample(sorted(words), 150))
        self.lasts = sorted(
            (a + b).capitalize()
            for a, b in zip(
                rng.sample(sorted(words), 200), rng.choices(_SYLLABLES, k=200), strict=True
            )
        )
        self.x_names: set[str] = set()
        self.handles: set[str] = set()
        self.ids: set[int] = set()
        self.bsky = MemoryBluesky()
        self.masto = MemoryMastodon()
        self.directory = MemoryDirectory()
        self.truth: dict[tuple[int, str], set[str]] = {}

    def new_id(self) -> int:
        while True:
            x_id = self.rng.choice(
                [self.rng.randint(10**5, 10**9), self.rng.randint(10**17, 2**62)]
            )
            if x_id not in self.ids:
                self.ids.add(x_id)
                return x_id

    def did(self) -> str:
        return "did:plc:" + "".join(self.rng.choices("abcdefghijklmnopqrstuvwxyz234567", k=24))

    def x_name(self, first: str, last: str) -> str:
        rng = self.rng
        shapes = [
            first + last,
            f"{first}_{last}",
            f"{first}{rng.randint(1, 99)}",
            first[0] + last,
            f"the{last}",
            f"{last}_{first[:3]}",
            first,
        ]
        for shape in rng.sample(shapes, len(shapes)):
            if len(shape) <= 15 and shape.lower() not in self.x_names:
                self.x_names.add(shape.lower())
                return shape if rng.random() < 0.5 else shape.lower()
        while True:
            name = f"{first[:8]}{rng.randint(100, 99999)}"
            if name.lower() not in self.x_names:
                self.x_names.add(name.lower())
                return name

    def free(self, handle: str) -> bool:
        if handle.lower() in self.handles:
            return False
        self.handles.add(handle.lower())
        return True

    def profile(
        self,
        handle: str,
        display: str | None,
        bio: str,
        labels: tuple[str, ...] = (),
        did: str | None = None,
    ) -> BlueskyProfile:
        profile = BlueskyProfile(did or self.did(), handle, display, bio, labels)
        self.bsky.add([profile])
        return profile

    def person(self) -> XPerson:
        first, last = self.rng.choice(self.firsts), self.rng.choice(self.lasts)
        return XPerson(self.new_id(), self.x_name(first, last), f"{first} {last}")

    def strangers(self) -> None:
        rng = self.rng
        for _ in range(self.p.strangers):
            first, last = rng.choice(self.firsts), rng.choice(self.lasts)
            for stem in rng.sample(
                [first + last, first, f"{first}-{last}", last, first[0] + last], 5
            ):
                handle = f"{stem.lower()}.bsky.social"
                if self.free(handle):
                    self.profile(
                        handle, f"{first} {last}", rng.choice(["", "hello", "art & code"])
                    )
                    break

    def accounts(self, who: XPerson) -> None:
        rng, p = self.rng, self.p
        has_bluesky = rng.random() < p.p_bluesky
        if has_bluesky:
            variant = handle_variants(who.name)[1 if "_" in who.name else 0]
            style = rng.random()
            options = [f"{who.display.replace(' ', '').lower()}{rng.randint(1, 999)}.bsky.social"]
            if style < 0.5:
                options.insert(0, f"{variant}.bsky.social")
            elif style < 0.6:
                options.insert(0, f"{variant}.{rng.choice(['com', 'net', 'fr', 'dev'])}")
            elif style < 0.65:
                options.insert(0, f"{who.display.split()[1].lower()}family.net")
            who.handle = next((h for h in options if self.free(h)), f"{who.x_id}.bsky.social")
        shown = None
        if rng.random() < p.p_mastodon + (0.1 if has_bluesky else 0):
            shown = self.mastodon_account(who, bridge=not has_bluesky)
        if who.handle is None:
            return
        bio = rng.choice(["", "writer", "maps, data", "she/her"])
        if rng.random() < p.p_crosslink:
            bio += " · " + rng.choice(_LINKS).format(n=who.name)
        if shown and rng.random() < 0.5:
            bio += f" 🐘 @{shown}"
        display = who.display if rng.random() < 0.85 else who.display.split()[0]
        who.did = self.profile(who.handle, display, bio).did
        self.truth.setdefault((who.x_id, "bluesky"), set()).add(who.did)
        if who.acct is None and rng.random() < 0.15:  # bridged into the fediverse
            acct = bridgy_mastodon_acct(who.handle)
            self.masto.add(MastodonAccount(acct, f"https://bsky.brid.gy/r/{who.did}", display))
            self.truth.setdefault((who.x_id, "mastodon"), set()).add(acct)

    def mastodon_account(self, who: XPerson, *, bridge: bool) -> str | None:
        """Create the Mastodon account; return the acct the person shows (maybe a moved one)."""
        rng = self.rng
        user = who.name.lower()
        if rng.random() < 0.4:
            user = f"{who.display.split()[0].lower()}{rng.randint(1, 99)}"
        acct = f"{user}@{rng.choice(_INSTANCES)}"
        if acct in self.masto.accounts:
            return None
        note = rng.choice(["", "toots", "fediverse fan"])
        if rng.random() < 0.4:
            note += f" x.com/{who.name}"
        if who.handle and rng.random() < 0.3:
            note += f" also @{who.handle}"
        url = f"https://{acct.split('@')[1]}/@{user}"
        self.masto.add(MastodonAccount(acct, url, who.display, note))
        who.acct = acct
        self.truth.setdefault((who.x_id, "mastodon"), set()).add(acct)
        shown = acct
        old = f"{user}@{rng.choice(_INSTANCES)}"
        if rng.random() < 0.1 and old not in self.masto.accounts:  # moved from an older one
            self.masto.add(MastodonAccount(old, "https://old/", who.display, "", moved_to=acct))
            shown = old
        if bridge and rng.random() < 0.3:  # bridged into Bluesky by Bridgy Fed
            handle = bridgy_bluesky_handle(acct)
            if handle and self.free(handle):
                profile = self.profile(handle, who.display, note)
                self.truth.setdefault((who.x_id, "bluesky"), set()).add(profile.did)
        return shown

    def link(
        self,
        who: XPerson,
        network: str,
        provenance: Provenance,
        new: NewAccountProof,
        x_proof: XProof,
        findable: bool = True,
    ) -> None:
        bluesky = network == "bluesky"
        target = who.did if bluesky else who.acct
        if target is None:
            return
        self.directory.add(
            DirectoryEntry(
                x_id=who.x_id,
                x_username=who.name,
                network="bluesky" if bluesky else "mastodon",
                handle=who.handle if bluesky else who.acct,
                did=who.did if bluesky else None,
                acct=None if bluesky else who.acct,
                provenance=provenance,
                new_account_proof=new,
                x_proof=x_proof,
                findable=findable,
            )
        )

    def directory_links(self, who: XPerson) -> None:
        rng, p = self.rng, self.p
        for network in ("bluesky", "mastodon"):
            r = rng.random()
            findable = rng.random() > 0.03
            if r < p.p_user_link:
                new: NewAccountProof = "login" if rng.random() < 0.8 else "bio_code"
                proof: XProof = "oembed" if rng.random() < 0.7 else "none"
                self.link(who, network, "user_link", new, proof, findable)
            elif r < p.p_user_link + p.p_org:
                new = "bio_code" if rng.random() < 0.5 else "none"
                self.link(who, network, "org_roster", new, "org_vouch", findable)
            elif r < p.p_user_link + p.p_org + p.p_csv:
                self.link(who, network, "csv_import", "none", "none", findable)

    def observe(self, who: XPerson) -> None:
        rng = self.rng
        users = rng.choice([0, 0, 1, 1, 2, 2, 3, 4, 6, 10, 25])
        if users:
            self.directory.observe(who.x_id, who.name, users)
        if who.old_name:
            self.directory.observe(who.x_id, who.old_name, rng.choice([1, 2, 3, 5, 8]))


def build_world(params: WorldParams | None = None) -> World:
    from devtools.matchworld_truth import mark_findable

    p = params or WorldParams()
    b = _Builder(p)
    rng = b.rng
    b.strangers()
    people = [b.person() for _ in range(p.population)]
    reusers: list[XPerson] = []
    for who in people:
        if rng.random() < p.p_renamed:
            who.old_name = who.name
            first, last = who.display.split()
            who.name = b.x_name(first, last)
            if rng.random() < 0.3:  # the old name re-registered by someone else
                reuser = XPerson(b.new_id(), who.old_name, f"{rng.choice(b.firsts)} {last}")
                reusers.append(reuser)
    for who in people + reusers:
        b.accounts(who)
        b.directory_links(who)
        b.observe(who)
    by_id = {who.x_id: who for who in people + reusers}
    contacts = rng.sample(people + reusers, p.following + p.followers)
    following = contacts[: p.following]
    followers = contacts[p.following - p.following // 4 :]  # a quarter are mutual
    blocked = rng.sample(followers, len(followers) // 50)
    muted = rng.sample(following, len(following) // 50)
    handles: dict[int, Counter[str]] = {}
    for who, chance in [(w, p.p_handle_following) for w in following] + [
        (w, p.p_handle_follower) for w in followers
    ]:
        if who.x_id in handles or rng.random() >= chance:
            continue
        seen = Counter({who.name: rng.randint(1, 6)})
        if who.old_name and rng.random() < 0.6:
            seen = Counter({who.old_name: rng.randint(1, 6)})
            if rng.random() < 0.3:
                seen[who.name] = 1
        handles[who.x_id] = seen
    impostors: set[str] = set()
    _impostors(b, [w for w in contacts if w not in blocked], impostors)
    archive = ParsedArchive(
        era="manifest",
        owner=Owner(account_id=str(b.new_id()), username="world_owner"),
        following=id_array(w.x_id for w in following),
        followers=id_array(w.x_id for w in followers),
        blocked=id_array(w.x_id for w in blocked),
        muted=id_array(w.x_id for w in muted),
        handles=handles,
    )
    world = World(p, by_id, archive, b.directory, b.bsky, b.masto, MemoryOembed(), b.truth)
    world.impostor_targets = impostors
    mark_findable(world, {w.x_id for w in blocked} | {w.x_id for w in muted})
    return world


def _impostors(b: _Builder, contacts: list[XPerson], world_targets: set[str]) -> None:
    """Forged directory claims on some contacts, and a few exact-handle impersonators."""
    rng, p = b.rng, b.p
    for victim in rng.sample(contacts, int(len(contacts) * p.impostor_rate)):
        own = b.person()  # the impostor's own X account
        b.observe(own)
        variant = handle_variants(victim.name)[-1]
        options = [f"{variant}-real.bsky.social", f"{variant}official.bsky.social"]
        handle = next((h for h in options if b.free(h)), f"imp{own.x_id}.bsky.social")
        bio = "the real one" + (f" x.com/{victim.name}" if rng.random() < 0.3 else "")
        labels = ("impersonation",) if rng.random() < 0.3 else ()
        profile = b.profile(handle, victim.display, bio, labels)
        world_targets.add(profile.did)
        with_own_name = rng.random() < 0.5  # oEmbed post from the impostor's own X account
        b.directory.add(
            DirectoryEntry(
                x_id=victim.x_id,
                x_username=own.name if with_own_name else victim.name,
                network="bluesky",
                handle=handle,
                did=profile.did,
                new_account_proof="login",
                x_proof="oembed" if with_own_name else "none",
            )
        )
        if with_own_name and rng.random() < 0.5:  # the forged archive mentions the victim
            b.directory.observe(victim.x_id, own.name, 1)
    bare = [c for c in contacts if c.did is None]
    for victim in rng.sample(bare, min(len(bare), round(len(contacts) * p.squatter_rate))):
        handle = f"{handle_variants(victim.name)[-1]}.bsky.social"
        if b.free(handle):
            squatter = b.profile(handle, victim.display, f"x.com/{victim.name}")
            world_targets.add(squatter.did)
