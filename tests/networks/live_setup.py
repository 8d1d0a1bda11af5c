"""Shared set-up of the live matching tests: one seeded world on the real local servers.

The fixtures are registered once, in tests/networks/conftest.py, so every test module
of the package shares the same seeded world and servers.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from chatbot.archive.model import ParsedArchive
from chatbot.matching import MemoryDirectory, match_archive
from chatbot.matching.model import Decisions, Match, NewAccountProof, Observations, XProof
from chatbot.matching.proofs import XPostCheck, check_x_post, code_in_profile, make_code
from chatbot.networks.bluesky import PublicAppView
from chatbot.networks.http import HttpPolicy
from chatbot.networks.mastodon import MastodonLookup
from chatbot.networks.oembed import XOembedClient
from tests.conftest import server_unavailable
from tests.networks import live_world as lw
from tests.networks.live_world import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    ERIN,
    FRANK,
    MALLORY,
    Names,
    Seeded,
)
from tests.servers.atproto import AtprotoNetwork
from tests.servers.egress import LOCAL_ALLOW_ENV, local_egress
from tests.servers.mastodon import MastodonServer, MastodonUnavailable, start_mastodon
from tests.servers.oembed_standin import OembedStandin

pytestmark = [pytest.mark.server, pytest.mark.slow]

NAMES = Names(lw.new_tag())
BOB_CODE = make_code()  # the code the bot gave bob: in his Bluesky bio and in an X post
REPO = Path(__file__).resolve().parents[2]
CHATBOT = Path(sys.executable).with_name("chatbot")

# bob's (new account, X) proofs as found live, the code in his bio?, the X post checks
Proofs = tuple[tuple[NewAccountProof, XProof], bool, dict[str, XPostCheck]]
Row = tuple[int, str, str | None, str | None, str, str, tuple[tuple[str, tuple[Any, ...]], ...]]


def R(code: str, **params: str | int) -> tuple[str, tuple[Any, ...]]:
    return code, tuple(sorted(params.items()))


def row(m: Match) -> Row:
    """Everything a user is shown about a match, reasons with their parameters."""
    reasons = tuple((r.code, r.params) for r in m.reasons)
    return (m.x_id, m.network, m.handle, m.did, m.tier, m.direction, reasons)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# -- the world ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def mastodon_live() -> Iterator[MastodonServer]:
    """A mastodon-mock seeded with the world's tagged accounts (one per test session)."""
    try:
        server = start_mastodon(
            Path(tempfile.mkdtemp(prefix="chatbot-match-live-")), lw.mastodon_seed(NAMES)
        )
    except (MastodonUnavailable, OSError) as exc:
        server_unavailable(f"mastodon-mock: {exc}")
        raise
    yield server
    server.stop()


@pytest.fixture(scope="session")
def world(atproto_network: AtprotoNetwork) -> Seeded:
    return lw.seed_bluesky(atproto_network, NAMES, bob_bio=f"Bob on Bluesky. bot code: {BOB_CODE}")


@asynccontextmanager
async def readers(
    net: AtprotoNetwork, masto: MastodonServer, policy: HttpPolicy | None = None
) -> AsyncIterator[tuple[PublicAppView, MastodonLookup]]:
    egress = local_egress()
    bluesky = PublicAppView(net.appview_url, resolver_url=net.pds_url, egress=egress)
    mastodon = MastodonLookup(masto.url, webfinger=False, policy=policy, egress=egress)
    try:
        yield bluesky, mastodon
    finally:
        await bluesky.aclose()
        await mastodon.aclose()


async def run_match(
    net: AtprotoNetwork,
    masto: MastodonServer,
    directory: MemoryDirectory,
    *,
    parsed: ParsedArchive | None = None,
    decisions: Decisions | None = None,
) -> list[Match]:
    async with readers(net, masto) as (bluesky, mastodon):
        return await match_archive(
            parsed or lw.parsed_archive(NAMES),
            directory,
            bluesky,
            mastodon,
            decisions=decisions or {},
        )


async def prove_bob(
    net: AtprotoNetwork, world: Seeded, directory: MemoryDirectory
) -> tuple[bool, dict[str, XPostCheck]]:
    """What the bot checks when bob links his account: the code in his live Bluesky bio,
    and X posts (on the oEmbed stand-in) said to come from X account 222."""
    standin = OembedStandin()
    posts = {
        "bob": standin.add_post("1700000000000000001", NAMES.x("bob"), "Bob", f"me: {BOB_CODE}"),
        "no_code": standin.add_post("1700000000000000002", NAMES.x("bob"), "Bob", "hello"),
        "forger": standin.add_post("1700000000000000003", NAMES.x("mal"), "M", BOB_CODE),
        "missing": f"https://x.com/{NAMES.x('bob')}/status/1700000000000000009",
    }
    names = [NAMES.x("bob"), NAMES.x("mal")]
    observations: Observations = await directory.observations([BOB], names)
    async with PublicAppView(net.appview_url, egress=local_egress()) as bluesky:
        (profile,) = await bluesky.get_profiles([world.did("bob")])
    in_bio = code_in_profile(profile, BOB_CODE)
    checks = {}
    async with (
        standin.running() as endpoint,
        XOembedClient(endpoint, egress=local_egress()) as oembed,
    ):
        for name, url in posts.items():
            checks[name] = await check_x_post(
                oembed, url, code=BOB_CODE, x_id=BOB, observations=observations
            )
    return in_bio, checks


@pytest.fixture(scope="session")
def bob_proofs(atproto_network: AtprotoNetwork, world: Seeded) -> Proofs:
    """Bob's proofs, as the live checks found them (not assumed)."""
    seen = MemoryDirectory()
    seen.observe(BOB, NAMES.x("bob"), users=3)
    seen.observe(MALLORY, NAMES.x("mal"), users=4)
    in_bio, checks = asyncio.run(prove_bob(atproto_network, world, seen))
    proofs: tuple[NewAccountProof, XProof] = (
        "bio_code" if in_bio else "none",
        "oembed" if checks["bob"].ok else "none",
    )
    return proofs, in_bio, checks


@pytest.fixture(scope="session")
def live(
    atproto_network: AtprotoNetwork,
    mastodon_live: MastodonServer,
    world: Seeded,
    bob_proofs: Proofs,
) -> list[Match]:
    """The main run: the user's archive, the directory, both live networks."""
    directory = lw.directory(world, bob_proofs=bob_proofs[0])
    return asyncio.run(run_match(atproto_network, mastodon_live, directory))


def expected_rows(world: Seeded) -> list[Row]:
    n, w = NAMES, world
    likely_by_bio = [
        (ALICE, "alice", "following"),
        (CAROL, "carol", "both"),
        (DAVE, "dave", "following"),
        (FRANK, "frank", "following"),
    ]
    rows: list[Row] = [
        (BOB, "bluesky", w.handle("bob"), w.did("bob"), "verified", "follower",
         (R("directory_verified"), R("new_proof_bio_code"), R("x_proof_oembed"),
          R("own_archive_agrees", name=n.x("bob")))),
        *[
            (x_id, "bluesky", w.handle(who), w.did(who), "likely", direction,
             (R("name_from_your_archive", name=n.x(who)), R("bio_links_x", name=n.x(who)),
              R("handle_custom_domain", handle=w.handle(who))))
            for x_id, who, direction in likely_by_bio
        ],
        (DAVE, "mastodon", n.dave_acct, None, "likely", "following",
         (R("mastodon_in_bluesky_bio", handle=w.handle("dave")), R("mastodon_links_back"))),
        (CAROL, "bluesky", w.handle("carol_impostor"), w.did("carol_impostor"), "possible",
         "both", (R("directory_claimed"), R("source_csv_import"), R("new_side_unproved"),
                  R("x_side_unproved"))),
        (ERIN, "bluesky", w.handle("erin_homonym"), w.did("erin_homonym"), "possible",
         "follower", (R("name_from_your_archive", name=n.x("erin")),
                      R("handle_custom_domain", handle=w.handle("erin_homonym")),
                      R("handle_only"))),
        (FRANK, "mastodon", n.frank_acct, None, "possible", "following",
         (R("mastodon_in_bluesky_bio", handle=w.handle("frank")),)),
    ]  # fmt: skip
    return rows


# -- `chatbot match` as a user runs it -----------------------------------------------------------


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory, world: Seeded) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("match-live")
    csv = folder / "directory.csv"
    csv.write_text(lw.directory_csv(world), encoding="utf-8")
    return {"zip": lw.write_archive_zip(folder / "twitter-archive.zip", NAMES), "csv": csv}


def cli(*args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    """`chatbot match ...` in a subprocess; the public internet is unreachable."""
    dead = f"http://127.0.0.1:{closed_port()}"
    env = {
        **os.environ,
        "HTTP_PROXY": dead,
        "HTTPS_PROXY": dead,
        "ALL_PROXY": dead,
        "NO_PROXY": "127.0.0.1,localhost",
        "CHATBOT_EGRESS_ALLOW": LOCAL_ALLOW_ENV,  # the local servers, through the policy
    }
    return subprocess.run(
        [str(CHATBOT), "match", *args, "--lang", lang],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
        check=False,
    )


def console_env(
    data_dir: Path, *, appview_url: str, mastodon_url: str, lang: str
) -> dict[str, str]:
    """The environment of a `chatbot console` on the local networks: none of the caller's
    CHATBOT_ settings, X's oEmbed and the public internet unreachable."""
    dead = f"http://127.0.0.1:{closed_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATBOT_")}
    env.pop("DATABASE_URL", None)
    env.update(
        CHATBOT_DATA_DIR=str(data_dir),
        CHATBOT_BLUESKY_APPVIEW_URL=appview_url,
        CHATBOT_MASTODON_LOOKUP_INSTANCE=mastodon_url,
        CHATBOT_X_OEMBED_URL=f"{dead}/oembed",
        CHATBOT_EGRESS_ALLOW=LOCAL_ALLOW_ENV,
        LANG=lang,
        HTTP_PROXY=dead,
        HTTPS_PROXY=dead,
        ALL_PROXY=dead,
        NO_PROXY="127.0.0.1,localhost",
    )
    return env


def json_rows(out: str) -> list[tuple[Any, ...]]:
    data = json.loads(out)
    assert all(
        set(d) >= {"x_id", "x_username", "network", "handle", "did", "tier", "reasons"}
        for d in data
    )
    return [
        (int(d["x_id"]), d["x_username"], d["network"], d["handle"], d["did"], d["tier"],
         d["direction"], tuple(r["code"] for r in d["reasons"]), d["eligible_for_auto_follow"])
        for d in data
    ]  # fmt: skip
