"""The harder matching world (issue 12 item 7): impostors, fans, namesakes and a follow graph.

What it contains (rates in `HardParams`, all assumptions, not measurements):
- people in communities (colleagues, a town, a field); the user's contacts come mostly
  from a few of them. Real Bluesky accounts follow a share of their community's accounts,
  and a few famous people are followed from everywhere;
- real people on their exact X name (``name.bsky.social`` or ``name.<tld>``), or on
  another handle with a genuine cross-link written as people write them, in English and
  French ("formerly @name on Twitter", "ex-@name", "@name (Twitter)", "X/Twitter → @name",
  "anciennement @name sur Twitter", "ex-Twitter : name", "x.com/name"), or on another
  handle with no link at all (nobody could tell);
- impostors that copy a victim's exact X name as handle, display name and an
  ``x.com/name`` bio link; they have almost no followers but follow the victim's
  community (following is free); a few carry an "impersonation" label;
- fan, parody and mirror accounts ("fan account, not affiliated with @name",
  "parodie de x.com/name") followed by a few fans from the victim's community;
- namesakes: strangers who own the X name as their Bluesky handle, with their own circle;
- a sparse directory (few people linked their accounts through the bot), names known
  only from the user's posts (mentions in the archive), no Mastodon.
`World.truth`, `findable_*`, `genuine_link` and `wrong_kind` give the ground truth.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from chatbot.archive.model import Owner, ParsedArchive, id_array
from chatbot.matching.scoring import Identity
from chatbot.matching.text import handle_prefix, handle_variants
from chatbot.networks.types import BlueskyProfile
from devtools.matchworld import World, WorldParams, XPerson, _Builder
from devtools.matchworld_truth import mark_findable
from devtools.memnet import MemoryBluesky, MemoryOembed

GENUINE_EN = [
    "formerly @{n} on Twitter", "ex-@{n}", "@{n} (Twitter)", "X/Twitter → @{n}",
    "x.com/{n}", "https://twitter.com/{n}", "Twitter: @{n}", "was @{n} on the bird site",
]  # fmt: skip
GENUINE_FR = [
    "anciennement @{n} sur Twitter", "ex-Twitter : {n}", "ex @{n} sur X",
    "mon ancien compte : x.com/{n}", "(ex-@{n} sur Twitter)", "Twitter : @{n}",
]  # fmt: skip
FAN = [
    "fan account, not affiliated with @{n}", "parody of x.com/{n}",
    "unofficial mirror of x.com/{n}", "compte fan non officiel de @{n}",
    "parodie de x.com/{n}", "not @{n}, just a fan",
]  # fmt: skip
BIO_EN = ["", "writer", "maps, data", "she/her", "teacher", "open source", "city council"]
BIO_FR = ["", "journaliste", "prof de maths", "élu local", "chercheuse", "cartographie"]


@dataclass(frozen=True)
class HardParams:
    seed: int = 7
    communities: int = 60
    community_size: int = 90
    user_communities: int = 4
    following: int = 700
    followers: int = 500
    strangers: int = 3000
    p_bluesky: float = 0.55
    p_exact: float = 0.45  # of Bluesky accounts: the exact X name as handle
    p_custom: float = 0.07  # the X name on a custom domain
    p_genuine_other: float = 0.33  # another handle with a genuine cross-link
    p_link_exact: float = 0.3  # exact-handle accounts that also link the X account
    p_follow_in: float = 0.25  # follow a Bluesky account of one's community
    famous: float = 0.02
    impostor_rate: float = 0.06  # of the user's contacts, copied by an impostor
    fan_rate: float = 0.04
    namesake_rate: float = 0.1
    ring: int = 0  # impostors that all follow each other (a Sybil ring): the first ones made
    # with the exact X name as handle, of contacts the user's posts name
    fooled: int = 0  # accounts of its victim's community fooled into following the ring's first
    p_user_link: float = 0.06  # directory links made through the bot
    p_mention_following: float = 0.6  # the user's posts name a followed account
    p_mention_follower: float = 0.25


def build_hard_world(params: HardParams | None = None) -> World:
    p = params or HardParams()
    b = _Builder(WorldParams(seed=p.seed, strangers=p.strangers, p_user_link=p.p_user_link,
                             p_org=0.0, p_csv=0.0))  # fmt: skip
    b.bsky = MemoryBluesky(search_bios=True)
    rng = b.rng
    b.strangers()
    strangers = [x.did for x in b.bsky.profiles]
    _circles(b, strangers, 40)  # strangers have their own circles
    world = World(b.p, {}, ParsedArchive(era="manifest"), b.directory, b.bsky, b.masto,
                  MemoryOembed(), b.truth)  # fmt: skip
    communities: list[list[XPerson]] = []
    for _ in range(p.communities):
        members = [b.person() for _ in range(p.community_size)]
        communities.append(members)
        for who in members:
            world.people[who.x_id] = who
            _account(b, world, p, who)
            if rng.random() < p.p_user_link:
                b.link(who, "bluesky", "user_link", "login", "oembed")
    famous = [w for w in world.people.values() if w.did and rng.random() < p.famous]
    everyone = [w.did for w in world.people.values() if w.did]
    for members in communities:
        dids = [w.did for w in members if w.did]
        for did in dids:
            for other in dids:
                if other != did and rng.random() < p.p_follow_in:
                    b.bsky.follow(did, other)
            for other in rng.sample(everyone, 3):
                b.bsky.follow(did, other)
    for star in famous:
        for did in rng.sample(everyone, len(everyone) // 5):
            b.bsky.follow(did, star.did or "")
    mine = [w for c in rng.sample(communities, p.user_communities) for w in c]
    mine_ids = {w.x_id for w in mine}
    others = [w for w in world.people.values() if w.x_id not in mine_ids]
    pool = rng.sample(mine, min(len(mine), int(0.8 * (p.following + p.followers))))
    pool += rng.sample(others, p.following + p.followers - len(pool)) + famous[:20]
    pool = list({w.x_id: w for w in pool}.values())
    rng.shuffle(pool)
    following = pool[: p.following]
    followers = pool[p.following - p.following // 4 : p.following + p.followers]
    blocked = rng.sample(followers, len(followers) // 50)
    handles: dict[int, Counter[str]] = {}
    for who in following + followers:
        chance = p.p_mention_following if who in following else p.p_mention_follower
        if who.x_id not in handles and rng.random() < chance:
            handles[who.x_id] = Counter({who.name: rng.randint(1, 6)})
    contacts = [w for w in {w.x_id: w for w in following + followers}.values()
                if w not in blocked]  # fmt: skip
    _wrong_accounts(b, world, p, contacts, communities, strangers, set(handles))
    owner = XPerson(b.new_id(), "world_owner", "World Owner")
    owner.did = b.profile("world-owner.bsky.social", "World Owner", "").did
    for who in rng.sample([w for w in following if w.did], len(following) // 5):
        b.bsky.follow(owner.did, who.did or "")
    world.owner_did = owner.did
    world.archive = ParsedArchive(
        era="manifest",
        owner=Owner(account_id=str(owner.x_id), username=owner.name),
        following=id_array(w.x_id for w in following),
        followers=id_array(w.x_id for w in followers),
        blocked=id_array(w.x_id for w in blocked),
        muted=id_array(()),
        handles=handles,
    )
    mark_findable(world, {w.x_id for w in blocked}, shows=_tellable)
    return world


def _account(b: _Builder, world: World, p: HardParams, who: XPerson) -> None:
    rng = b.rng
    if rng.random() >= p.p_bluesky:
        return
    french = rng.random() < 0.5
    bio = rng.choice(BIO_FR if french else BIO_EN)
    links = GENUINE_FR if french else GENUINE_EN
    variant = handle_variants(who.name)[1 if "_" in who.name else 0]
    first, last = who.display.lower().split()
    other = f"{first}-{last}{rng.randint(1, 99)}.bsky.social"
    custom = f"{variant}.{rng.choice(['fr', 'com', 'net'])}"
    r = rng.random()
    handle, genuine = other, False
    if r < p.p_exact and b.free(f"{variant}.bsky.social"):
        handle = f"{variant}.bsky.social"
        genuine = rng.random() < p.p_link_exact
    elif p.p_exact <= r < p.p_exact + p.p_custom and b.free(custom):
        handle = custom
        genuine = rng.random() < p.p_link_exact
    elif r < p.p_exact + p.p_custom + p.p_genuine_other:
        genuine = True
    if handle == other and not b.free(other):
        handle = f"{who.x_id}.bsky.social"
    if genuine:
        bio = f"{bio} · {rng.choice(links).format(n=who.name)}".strip(" ·")
        world.genuine_link.add(who.x_id)
    display = who.display if rng.random() < 0.85 else who.display.split()[0]
    who.handle = handle
    who.did = b.profile(handle, display, bio).did
    b.truth[(who.x_id, "bluesky")] = {who.did}


def _wrong_accounts(
    b: _Builder,
    world: World,
    p: HardParams,
    contacts: list[XPerson],
    circles: list[list[XPerson]],
    strangers: list[str],
    named: set[int],
) -> None:
    """Impostors, fans and namesakes around the user's contacts."""
    rng = b.rng
    circle_of = {w.x_id: c for c in circles for w in c}
    everyone = [x.did for x in b.bsky.profiles]

    def wrong(kind: str, handle: str, display: str, bio: str, labels: tuple[str, ...] = ()) -> str:
        did = b.profile(handle, display, bio, labels).did
        world.wrong_kind[did] = kind
        if kind != "namesake":
            world.impostor_targets.add(did)
        return did

    copies: list[str] = []
    victims: dict[str, XPerson] = {}
    for victim in rng.sample(contacts, int(len(contacts) * p.impostor_rate)):
        handle = f"{handle_variants(victim.name)[-1]}.bsky.social"
        if not b.free(handle):
            handle = f"{handle_variants(victim.name)[-1]}-official.bsky.social"
            if not b.free(handle):
                continue
        labels = ("impersonation",) if rng.random() < 0.1 else ()
        did = wrong("impostor", handle, victim.display, f"x.com/{victim.name}", labels)
        if not handle.endswith("-official.bsky.social") and victim.x_id in named:
            copies.append(did)
            victims[did] = victim
        circle = [w.did for w in circle_of.get(victim.x_id, []) if w.did]
        for target in rng.sample(circle, min(len(circle), rng.randint(10, 40))):
            b.bsky.follow(did, target)  # following is free
        for fan in rng.sample(everyone, rng.randint(0, 2)):
            b.bsky.follow(fan, did)
    for a in copies[: p.ring]:
        for other in copies[: p.ring]:
            b.bsky.follow(a, other)
    if copies[: p.ring] and p.fooled:
        first = copies[0]
        circle = [w.did for w in circle_of.get(victims[first].x_id, []) if w.did]
        for fan in rng.sample(circle, min(len(circle), p.fooled)):
            b.bsky.follow(fan, first)
    for victim in rng.sample(contacts, int(len(contacts) * p.fan_rate)):
        stem = handle_variants(victim.name)[-1]
        handle = f"{stem}{rng.choice(['fan', '-parody', 'mirror', '-fans'])}.bsky.social"
        if not b.free(handle):
            continue
        display = rng.choice([f"{victim.display} (parody)", f"Fans of {victim.display}",
                              victim.display])  # fmt: skip
        did = wrong("fan", handle, display, rng.choice(FAN).format(n=victim.name))
        circle = [w.did for w in circle_of.get(victim.x_id, []) if w.did]
        for fan in rng.sample(circle, min(len(circle), rng.randint(0, 5))):
            b.bsky.follow(fan, did)
    for victim in rng.sample(contacts, int(len(contacts) * p.namesake_rate)):
        handle = f"{handle_variants(victim.name)[-1]}.bsky.social"
        if not b.free(handle):
            continue
        first = victim.display.split()[0]
        did = wrong("namesake", handle, f"{first} {rng.choice(b.lasts)}", rng.choice(BIO_EN))
        for friend in rng.sample(strangers, 25):  # their own circle
            b.bsky.follow(friend, did)
            if rng.random() < 0.5:
                b.bsky.follow(did, friend)


def _circles(b: _Builder, dids: list[str], size: int) -> None:
    for start in range(0, len(dids), size):
        group = dids[start : start + size]
        for did in group:
            for other in b.rng.sample(group, min(len(group), 8)):
                b.bsky.follow(did, other)


def _tellable(world: World, x_id: int, profile: BlueskyProfile, identity: Identity) -> bool:
    """A person could tell it is them (the X name as handle, or a genuine cross-link),
    whatever our parser reads."""
    own_name = handle_prefix(profile.handle) in handle_variants(world.people[x_id].name)
    return own_name or x_id in world.genuine_link
