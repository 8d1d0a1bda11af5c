"""A small "world" of X contacts seeded on the real local networks, for the live matching tests.

One user's X archive (built directly, or written as a zip for the CLI) follows and is
followed by contacts who moved, or not, to Bluesky (the ``@atproto/dev-env`` network) and
Mastodon (``mastodon-mock``). Every name carries a random tag: the AT Protocol network is
shared by the whole test session, and the dev AppView's search is a case-sensitive handle
substring match, so an untagged "alice" would find other modules' accounts.

The contacts (X id, screen name, what exists on the networks, what the engine must say):

=====  ==============  =============================================================
 id     X name          on the networks
=====  ==============  =============================================================
 111    alice<t>        alice<t>.test, bio "formerly @alice<t> on Twitter" -> likely;
                        bio also names a Mastodon acct that does not exist;
                        homonym alice<t>fan.test (same display name) -> nothing
 222    bob<t>          robert<t>.test, found only through the directory (verified:
                        login + oEmbed, 3 users' archives agree); bob<t>@mastodon.example
 333    carol<t>        carol<t>.test, bio "x.com/carol<t>" -> likely; impostor
                        imp<t>.test claims id 333 in the directory without proofs
                        -> possible, "claimed"; a forged-archive impostor fake<t>.test
                        claims it under the name mal<t>, which other archives tie to
                        another id
 444    dan<t>          dan<t>.test, perfect bio link but labelled "impersonation"
                        (also in the directory) -> nothing
 555    erin<t>         not on Bluesky; an unrelated erin<t>.test exists -> possible
 666    dave<t>         dave<t>.test, bio names @dave<t>@fosstodon.example, whose bio
                        links back to the X account -> likely on both networks
 777    frank<t>        frank<t>.test, bio names @frank<t>@mastodon.example, a locked
                        account that does not link back -> likely / possible
 888    grace<t>        grace<t>.test with a bio link, but blocked by the user -> nothing
=====  ==============  =============================================================

Apart from the main archive: hana_<t> (1010), whose Bluesky account is hana-<t>.test with
a bio link to x.com/hana_<t> (the usual ``_`` -> ``-`` rename), and the forger of
`add_forger`.
"""

from __future__ import annotations

import json
import secrets
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatbot.archive.model import Owner, ParsedArchive, id_array
from chatbot.matching import DirectoryEntry, MemoryDirectory
from chatbot.matching.model import NewAccountProof, XProof
from tests.servers.atproto import Account, AtprotoNetwork
from tests.servers.mastodon import SeedAccount

ALICE, BOB, CAROL, DAN, ERIN, DAVE, FRANK, GRACE = 111, 222, 333, 444, 555, 666, 777, 888
MALLORY = 999  # the X account other users' archives know as mal<t>
HANA = 1010  # hana_<t> on X, hana-<t>.test on Bluesky: only in `underscore_archive`
OWNER = 100
FOLLOWING = [ALICE, CAROL, DAN, DAVE, FRANK, GRACE]
FOLLOWERS = [BOB, CAROL, ERIN]
BLOCKED = [GRACE]
DOMAIN_DAVE = "fosstodon.example"
DOMAIN_REMOTE = "mastodon.example"


def new_tag() -> str:
    """Four random letters: X names stay <= 15 characters, handle labels <= 18."""
    return "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(4))


@dataclass(frozen=True)
class Names:
    """Every tagged name of the world."""

    tag: str

    def x(self, who: str) -> str:
        return f"{who}{self.tag}"

    def handle(self, who: str) -> str:
        return f"{who}{self.tag}.test"

    def underscore_archive(self) -> ParsedArchive:
        """An archive following only hana_<t>."""
        parsed = ParsedArchive(era="manifest", following=id_array([HANA]))
        parsed.handles = {HANA: Counter({self.x("hana_"): 3})}
        return parsed

    @property
    def dave_acct(self) -> str:
        return f"dave{self.tag}@{DOMAIN_DAVE}"

    @property
    def frank_acct(self) -> str:
        return f"frank{self.tag}@{DOMAIN_REMOTE}"

    @property
    def bob_acct(self) -> str:
        return f"bob{self.tag}@{DOMAIN_REMOTE}"

    @property
    def ghost_acct(self) -> str:
        return f"ghost{self.tag}@{DOMAIN_REMOTE}"

    @property
    def screen_names(self) -> dict[int, str]:
        """The X screen name of each contact, as the user's own tweets mention it."""
        return {
            ALICE: self.x("alice"),
            BOB: self.x("bob"),
            CAROL: self.x("carol"),
            DAN: self.x("dan"),
            ERIN: self.x("erin"),
            DAVE: self.x("dave"),
            FRANK: self.x("frank"),
            GRACE: self.x("grace"),
        }


def mastodon_seed(names: Names) -> list[SeedAccount]:
    """The Mastodon side ("remote" rows of the mock: it does not federate)."""
    return [
        SeedAccount("me", "Bot User"),
        SeedAccount(
            names.x("dave"),
            "Dave",
            domain=DOMAIN_DAVE,
            note=f'<p>Formerly <a href="https://x.com/{names.x("dave")}">x.com/'
            f"{names.x('dave')}</a></p>",
        ),
        SeedAccount(names.x("frank"), "Frank", domain=DOMAIN_REMOTE, locked=True),
        SeedAccount(names.x("bob"), "Bob", domain=DOMAIN_REMOTE, note="<p>hello</p>"),
    ]


@dataclass(frozen=True)
class Seeded:
    """The Bluesky accounts created for the world, by short name."""

    names: Names
    accounts: dict[str, Account]

    def did(self, who: str) -> str:
        return self.accounts[who].did

    def handle(self, who: str) -> str:
        return self.accounts[who].handle


def seed_bluesky(net: AtprotoNetwork, names: Names, *, bob_bio: str | None = None) -> Seeded:
    """Create the Bluesky accounts, label the impersonator, wait until the AppView shows all."""
    n = names
    specs: dict[str, tuple[str, str | None, str | None]] = {
        "alice": (
            n.handle("alice"),
            "Alice Liddell",
            f"formerly @{n.x('alice')} on Twitter. Fediverse: @{n.ghost_acct}",
        ),
        "alice_homonym": (n.handle("alice").replace(".test", "fan.test"), "Alice Liddell", "tea"),
        "bob": (n.handle("robert"), "Robert", bob_bio),
        "carol": (n.handle("carol"), "Carol", f"https://x.com/{n.x('carol')} | writer"),
        "carol_impostor": (n.handle("imp"), "Carol", None),
        "carol_forger": (n.handle("fake"), "Carol (real)", None),
        "dan": (n.handle("dan"), "Dan", f"x.com/{n.x('dan')}"),
        "erin_homonym": (n.handle("erin"), "Erin", None),
        "dave": (
            n.handle("dave"),
            "Dave",
            f"formerly @{n.x('dave')} on Twitter. Now @{n.dave_acct}",
        ),
        "frank": (
            n.handle("frank"),
            "Frank",
            f"twitter.com/{n.x('frank')} also @{n.frank_acct}",
        ),
        "grace": (n.handle("grace"), "Grace", f"x.com/{n.x('grace')}"),
        "hana": (n.handle("hana-"), "Hana", f"x.com/{n.x('hana_')}"),
    }
    accounts: dict[str, Account] = {}
    for who, (handle, display, bio) in specs.items():
        accounts[who] = net.create_account(handle, display_name=display, description=bio)
    net.wait_for_profiles([a.did for a in accounts.values()])
    net.label(accounts["dan"].did, "impersonation")
    return Seeded(names, accounts)


def parsed_archive(names: Names) -> ParsedArchive:
    """The user's archive, as `chatbot.archive.read_archive` would give it."""
    parsed = ParsedArchive(
        era="manifest",
        owner=Owner(account_id=str(OWNER), username=f"me{names.tag}"),
        following=id_array(FOLLOWING),
        followers=id_array(FOLLOWERS),
        blocked=id_array(BLOCKED),
    )
    parsed.handles = {x_id: Counter({name: 2}) for x_id, name in names.screen_names.items()}
    return parsed


def directory(seeded: Seeded, *, bob_proofs: tuple[NewAccountProof, XProof]) -> MemoryDirectory:
    """The bot's directory: bob's link (with the proofs he gave), an impostor's claim on
    carol's id, and dan's link to an account labelled "impersonation" since."""
    n = seeded.names
    memory = MemoryDirectory()
    new_proof, x_proof = bob_proofs
    memory.add(
        DirectoryEntry(
            BOB,
            n.x("bob"),
            "bluesky",
            n.handle("oldbob"),  # renamed since he linked it: the DID is what counts
            did=seeded.did("bob"),
            new_account_proof=new_proof,
            x_proof=x_proof,
        )
    )
    memory.observe(BOB, n.x("bob"), users=3)  # three users' archives mention bob<t> as 222
    # someone sent a forged archive claiming carol's id and linked their own account
    memory.add(
        DirectoryEntry(CAROL, n.x("carol"), "bluesky", seeded.handle("carol_impostor"),
                       did=seeded.did("carol_impostor"), provenance="csv_import")
    )  # fmt: skip
    memory.add(
        DirectoryEntry(DAN, n.x("dan"), "bluesky", seeded.handle("dan"), did=seeded.did("dan"))
    )
    return memory


def add_forger(memory: MemoryDirectory, seeded: Seeded, *, vouched: bool) -> None:
    """An impostor who logged in through the bot and claims carol's id under the name
    mal<t>, which four other users' archives tie to another X id (MALLORY); `vouched`:
    listed in an organisation's roster whose admin vouched for it."""
    n = seeded.names
    memory.add(
        DirectoryEntry(
            CAROL,
            n.x("mal"),
            "bluesky",
            seeded.handle("carol_forger"),
            did=seeded.did("carol_forger"),
            provenance="org_roster" if vouched else "user_link",
            new_account_proof="login",
            x_proof="org_vouch" if vouched else "none",
        )
    )
    memory.observe(MALLORY, n.x("mal"), users=4)


def directory_csv(seeded: Seeded) -> str:
    """The same kind of links as an admin's CSV import (claimed: imports prove nothing)."""
    n = seeded.names
    return (
        "x_id,x_username,bluesky,mastodon\n"
        f"{BOB},@{n.x('bob')},{seeded.handle('bob')},@{n.bob_acct}\n"
        f"{CAROL},{n.x('carol')},{seeded.did('carol_impostor')},\n"
        "not-an-id,someone,someone.test,\n"
    )


# -- the same archive as an X export zip ----------------------------------------------------


def _js(name: str, records: list[Any]) -> str:
    return f"window.YTD.{name}.part0 = " + json.dumps(records, indent=1)


def _ids(kind: str, ids: list[int]) -> str:
    link = "https://twitter.com/intent/user?user_id="
    return _js(kind, [{kind: {"accountId": str(i), "userLink": f"{link}{i}"}} for i in ids])


def _tweet(number: int, x_id: int, name: str) -> dict[str, Any]:
    tweet_id = str(1_600_000_000_000_000_000 + number)
    mention = {
        "screen_name": name,
        "name": name,
        "id_str": str(x_id),
        "id": str(x_id),
        "indices": ["6", str(7 + len(name))],
    }
    entities = {"hashtags": [], "symbols": [], "urls": [], "user_mentions": [mention]}
    return {
        "tweet": {
            "id": tweet_id,
            "id_str": tweet_id,
            "created_at": "Mon Jan 06 10:00:00 +0000 2020",
            "full_text": f"hello @{name}",
            "lang": "en",
            "entities": entities,
        }
    }


def write_archive_zip(path: Path, names: Names) -> Path:
    """A 2022-style export: account, following, follower, block, and tweets mentioning
    every contact twice (mentions carry the id and the screen name)."""
    mentioned = sorted(names.screen_names.items()) * 2
    tweets = [_tweet(number, x_id, name) for number, (x_id, name) in enumerate(mentioned)]
    account = {
        "account": {
            "username": f"me{names.tag}",
            "accountId": str(OWNER),
            "createdAt": "2012-03-04T05:06:07.000Z",
            "accountDisplayName": "Me",
        }
    }
    block = [{"blocking": {"accountId": str(i)}} for i in BLOCKED]
    files = {
        "data/account.js": _js("account", [account]),
        "data/following.js": _ids("following", FOLLOWING),
        "data/follower.js": _ids("follower", FOLLOWERS),
        "data/block.js": _js("block", block),
        "data/tweets.js": _js("tweets", tweets),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path
