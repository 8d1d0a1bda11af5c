"""Matching end to end against the real local networks: `match_archive` and `chatbot match`.

The world (`live_world`) is seeded once on the session's ``@atproto/dev-env`` network and
on a mastodon-mock of this module's own (its seed names tagged accounts). The engine runs
with the real readers: `PublicAppView` on the dev AppView (the PDS resolves ``.test``
handles, which only XRPC can), `MastodonLookup` on the mock, `XOembedClient` on the oEmbed
stand-in for the X side of a directory link. The CLI runs as a user would run it, in a
subprocess, with the public internet made unreachable (a proxy on a closed port) so that
WebFinger and Bridgy Fed lookups of strangers' domains fail fast instead of leaving the
machine.

On the dev network every ``.test`` handle is a "custom domain" for the engine (it is not
``bsky.social``), so the handle reasons here are ``handle_custom_domain``.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from chatbot.archive import read_archive
from chatbot.archive.model import ParsedArchive
from chatbot.i18n import translator
from chatbot.matching import MemoryDirectory, match_archive
from chatbot.matching.model import Decisions, Match, NewAccountProof, Observations, XProof
from chatbot.matching.proofs import XPostCheck, check_x_post, code_in_profile, make_code
from chatbot.networks.bluesky import PublicAppView
from chatbot.networks.http import HttpPolicy
from chatbot.networks.mastodon import MastodonLookup
from chatbot.networks.oembed import XOembedClient
from chatbot.networks.types import NetworkUnavailable
from tests.conftest import server_unavailable
from tests.networks import live_world as lw
from tests.networks.live_world import (
    ALICE,
    BOB,
    CAROL,
    DAN,
    DAVE,
    ERIN,
    FRANK,
    GRACE,
    HANA,
    MALLORY,
    Names,
    Seeded,
)
from tests.servers.atproto import AtprotoNetwork
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


@pytest.fixture(scope="module")
def mastodon_live() -> Iterator[MastodonServer]:
    """A mastodon-mock seeded with the world's tagged accounts (one per module)."""
    try:
        server = start_mastodon(
            Path(tempfile.mkdtemp(prefix="chatbot-match-live-")), lw.mastodon_seed(NAMES)
        )
    except (MastodonUnavailable, OSError) as exc:
        server_unavailable(f"mastodon-mock: {exc}")
        raise
    yield server
    server.stop()


@pytest.fixture(scope="module")
def world(atproto_network: AtprotoNetwork) -> Seeded:
    return lw.seed_bluesky(atproto_network, NAMES, bob_bio=f"Bob on Bluesky. bot code: {BOB_CODE}")


@asynccontextmanager
async def readers(
    net: AtprotoNetwork, masto: MastodonServer, policy: HttpPolicy | None = None
) -> AsyncIterator[tuple[PublicAppView, MastodonLookup]]:
    bluesky = PublicAppView(net.appview_url, resolver_url=net.pds_url)
    mastodon = MastodonLookup(masto.url, webfinger=False, policy=policy)
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
    async with PublicAppView(net.appview_url) as bluesky:
        (profile,) = await bluesky.get_profiles([world.did("bob")])
    in_bio = code_in_profile(profile, BOB_CODE)
    checks = {}
    async with standin.running() as endpoint, XOembedClient(endpoint) as oembed:
        for name, url in posts.items():
            checks[name] = await check_x_post(
                oembed, url, code=BOB_CODE, x_id=BOB, observations=observations
            )
    return in_bio, checks


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
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
          R("archives_agree", users=3))),
        *[
            (x_id, "bluesky", w.handle(who), w.did(who), "likely", direction,
             (R("name_from_your_archive", name=n.x(who)), R("bio_links_x", name=n.x(who)),
              R("handle_custom_domain", handle=w.handle(who))))
            for x_id, who, direction in likely_by_bio
        ],
        (DAVE, "mastodon", n.dave_acct, None, "likely", "following",
         (R("mastodon_in_bluesky_bio", handle=w.handle("dave")), R("mastodon_links_back"))),
        (CAROL, "bluesky", w.handle("carol_impostor"), w.did("carol_impostor"), "possible",
         "both", (R("directory_claimed", source="csv_import"), R("new_side_unproved"),
                  R("x_side_unproved"))),
        (ERIN, "bluesky", w.handle("erin_homonym"), w.did("erin_homonym"), "possible",
         "follower", (R("name_from_your_archive", name=n.x("erin")),
                      R("handle_custom_domain", handle=w.handle("erin_homonym")),
                      R("handle_only"))),
        (FRANK, "mastodon", n.frank_acct, None, "possible", "following",
         (R("mastodon_in_bluesky_bio", handle=w.handle("frank")),)),
    ]  # fmt: skip
    return rows


# -- match_archive with the real readers -------------------------------------------------------


def test_bob_proves_both_sides_through_the_live_checks(
    bob_proofs: Proofs,
) -> None:
    proofs, in_bio, checks = bob_proofs
    assert in_bio  # read from the AppView: the code bob put in his bio
    assert proofs == ("bio_code", "oembed")
    assert checks["bob"] == XPostCheck("ok", NAMES.x("bob"))
    assert checks["no_code"] == XPostCheck("code_missing", NAMES.x("bob"))
    # the code posted from an X account that archives tie to another id: refused
    assert checks["forger"] == XPostCheck("name_contradicted", NAMES.x("mal"))
    assert checks["missing"] == XPostCheck("not_found")


def test_live_matches_exactly(live: list[Match], world: Seeded) -> None:
    assert sorted(map(row, live)) == sorted(expected_rows(world))
    # sorted for display: best tiers first
    ranks = [{"verified": 3, "likely": 2, "possible": 1}[m.tier] for m in live]
    assert ranks == sorted(ranks, reverse=True)
    assert {m.x_id: m.x_username for m in live} == {
        x_id: NAMES.screen_names[x_id] for x_id in (ALICE, BOB, CAROL, DAVE, ERIN, FRANK)
    }


def test_only_the_proved_link_is_followed_automatically(live: list[Match]) -> None:
    assert [(m.x_id, m.network) for m in live if m.eligible_for_auto_follow] == [(BOB, "bluesky")]


def test_excluded_accounts_are_never_proposed(live: list[Match], world: Seeded) -> None:
    targets = {m.did for m in live}
    # labelled "impersonation" (found by search AND linked in the directory), blocked,
    # a homonym with the same display name, the never-existing Mastodon acct of a bio
    assert world.did("dan") not in targets and DAN not in {m.x_id for m in live}
    assert world.did("grace") not in targets and GRACE not in {m.x_id for m in live}
    assert world.did("alice_homonym") not in targets
    assert not any(m.handle == NAMES.ghost_acct for m in live)
    # the stale handle of bob's directory entry is replaced by the live one
    assert not any(m.handle == NAMES.handle("oldbob") for m in live)


def test_an_impostor_claim_stays_claimed_beside_the_real_account(
    live: list[Match], world: Seeded
) -> None:
    carol = {m.did: m for m in live if m.x_id == CAROL}
    assert set(carol) == {world.did("carol"), world.did("carol_impostor")}
    impostor = carol[world.did("carol_impostor")]
    assert impostor.tier == "possible" and not impostor.eligible_for_auto_follow
    assert impostor.reason_codes()[0] == "directory_claimed"
    assert carol[world.did("carol")].tier == "likely"  # not demoted by one claim


async def test_the_directory_alone_finds_bob(
    atproto_network: AtprotoNetwork, mastodon_live: MastodonServer, live: list[Match]
) -> None:
    without = await run_match(atproto_network, mastodon_live, MemoryDirectory())
    assert BOB not in {m.x_id for m in without}
    assert BOB in {m.x_id for m in live}
    # the rest does not depend on the directory (nor on the dan and carol claims)
    rest = {row(m) for m in live if m.x_id != BOB and "directory_claimed" not in m.reason_codes()}
    assert {row(m) for m in without} == rest


async def test_decisions_on_live_matches(
    atproto_network: AtprotoNetwork,
    mastodon_live: MastodonServer,
    world: Seeded,
    bob_proofs: Proofs,
) -> None:
    decisions: Decisions = {
        (ALICE, "bluesky", world.did("alice")): "confirmed",
        (CAROL, "bluesky", world.did("carol_impostor")): "rejected",
        (DAVE, "mastodon", NAMES.dave_acct): "confirmed",
    }
    directory = lw.directory(world, bob_proofs=bob_proofs[0])
    matches = await run_match(atproto_network, mastodon_live, directory, decisions=decisions)
    eligible = {(m.x_id, m.network, m.target) for m in matches if m.eligible_for_auto_follow}
    assert eligible == {
        (BOB, "bluesky", world.did("bob")),
        (ALICE, "bluesky", world.did("alice")),
        (DAVE, "mastodon", NAMES.dave_acct),
    }
    assert world.did("carol_impostor") not in {m.did for m in matches}


async def test_a_forger_the_users_archive_contradicts_is_dropped(
    atproto_network: AtprotoNetwork,
    mastodon_live: MastodonServer,
    world: Seeded,
    bob_proofs: Proofs,
) -> None:
    """The forger's name mal<t> is also in the user's own archive (a mention of 999)."""
    directory = lw.directory(world, bob_proofs=bob_proofs[0])
    lw.add_forger(directory, world, vouched=True)
    parsed = lw.parsed_archive(NAMES)
    parsed.handles[MALLORY] = Counter({NAMES.x("mal"): 1})
    matches = await run_match(atproto_network, mastodon_live, directory, parsed=parsed)
    assert world.did("carol_forger") not in {m.did for m in matches}
    carol = {m.did: m.tier for m in matches if m.x_id == CAROL}
    assert carol[world.did("carol")] == "likely"


async def test_a_vouched_forger_is_never_verified(
    atproto_network: AtprotoNetwork,
    mastodon_live: MastodonServer,
    world: Seeded,
    bob_proofs: Proofs,
) -> None:
    """Same forger, but the user's archive never mentions mal<t>: the name the entry claims
    is looked up in the observations, other archives tie it to another id, so the vouched
    entry is contradicted: never verified, and carol's real account stays."""
    directory = lw.directory(world, bob_proofs=bob_proofs[0])
    lw.add_forger(directory, world, vouched=True)
    matches = await run_match(atproto_network, mastodon_live, directory)
    carol = {m.did: m for m in matches if m.x_id == CAROL}
    assert world.did("carol_forger") not in carol
    assert carol[world.did("carol")].tier == "likely"


async def test_an_underscore_name_found_under_its_dash_handle(
    atproto_network: AtprotoNetwork, mastodon_live: MastodonServer, world: Seeded
) -> None:
    """hana_<t> on X is hana-<t>.test, whose bio links x.com/hana_<t>: likely.

    The engine searches the name as is and its ``_`` -> ``-`` and ``_``-dropped variants
    (the dev network's SQL ``LIKE`` would match "hana_<t>" anyway: ``_`` is a wildcard
    there, so the queries sent are asserted too)."""
    async with readers(atproto_network, mastodon_live) as (bluesky, mastodon):
        matches = await match_archive(
            NAMES.underscore_archive(), MemoryDirectory(), bluesky, mastodon, decisions={}
        )
        queries = {query for query, _ in bluesky.searches._data}
    assert [row(m) for m in matches] == [
        (HANA, "bluesky", world.handle("hana"), world.did("hana"), "likely", "following",
         (R("name_from_your_archive", name=NAMES.x("hana_")),
          R("bio_links_x", name=NAMES.x("hana_")),
          R("handle_custom_domain", handle=world.handle("hana"))))
    ]  # fmt: skip
    assert queries == {NAMES.x("hana_"), NAMES.x("hana-"), NAMES.x("hana")}


async def test_rate_limited_mastodon_gives_the_same_matches(
    atproto_network: AtprotoNetwork,
    world: Seeded,
    live: list[Match],
    bob_proofs: Proofs,
) -> None:
    """mastodon-mock with X-RateLimit emulation (3 requests per 1 s window): the engine
    waits for the windows instead of losing matches; beyond its patience it says so."""
    try:
        limited = start_mastodon(
            Path(tempfile.mkdtemp(prefix="chatbot-match-rl-")),
            lw.mastodon_seed(NAMES),
            extra_config="[ratelimit]\nenabled = true\nlimit = 3\nwindow_seconds = 1\n",
        )
    except (MastodonUnavailable, OSError) as exc:
        server_unavailable(f"mastodon-mock (rate limited): {exc}")
        raise
    try:
        directory = lw.directory(world, bob_proofs=bob_proofs[0])
        started = time.monotonic()
        matches = await run_match(atproto_network, limited, directory)
        assert time.monotonic() - started >= 1.0  # 8 lookups: it waited for a new window
        assert sorted(map(row, matches)) == sorted(map(row, live))
        impatient = HttpPolicy(max_wait=0.01, slow_down_below=0, backoff_initial=0.01)
        async with readers(atproto_network, limited, impatient) as (bluesky, mastodon):
            with pytest.raises(NetworkUnavailable) as caught:
                await match_archive(
                    lw.parsed_archive(NAMES), directory, bluesky, mastodon, decisions={}
                )
        assert caught.value.network == "mastodon"
    finally:
        limited.stop()


# -- `chatbot match` as a user runs it -----------------------------------------------------------


@pytest.fixture(scope="module")
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


def test_the_zip_reads_as_the_archive_built_directly(files: dict[str, Path]) -> None:
    parsed, built = read_archive([files["zip"]]), lw.parsed_archive(NAMES)
    assert list(parsed.following) == list(built.following)
    assert list(parsed.followers) == list(built.followers)
    assert list(parsed.blocked) == list(built.blocked)
    assert parsed.handles == built.handles
    assert parsed.owner.account_id == built.owner.account_id


def test_cli_json_online(
    atproto_network: AtprotoNetwork,
    mastodon_live: MastodonServer,
    world: Seeded,
    files: dict[str, Path],
) -> None:
    done = cli(
        str(files["zip"]), "--json", "--directory", str(files["csv"]),
        "--appview", atproto_network.appview_url, "--mastodon-instance", mastodon_live.url,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # the bad CSV row is reported on one line; nothing else on stderr
    assert done.stderr.splitlines() == [f"{files['csv']}, line 4: ignored (invalid x_id)"]
    n, w = NAMES, world
    bio = ("name_from_your_archive", "bio_links_x", "handle_custom_domain")
    claimed = ("directory_claimed", "new_side_unproved", "x_side_unproved")
    expected = [
        (ALICE, n.x("alice"), "bluesky", w.handle("alice"), w.did("alice"), "likely",
         "following", bio, False),
        (CAROL, n.x("carol"), "bluesky", w.handle("carol"), w.did("carol"), "likely",
         "both", bio, False),
        (DAVE, n.x("dave"), "bluesky", w.handle("dave"), w.did("dave"), "likely",
         "following", bio, False),
        (FRANK, n.x("frank"), "bluesky", w.handle("frank"), w.did("frank"), "likely",
         "following", bio, False),
        (DAVE, n.x("dave"), "mastodon", n.dave_acct, None, "likely", "following",
         ("mastodon_in_bluesky_bio", "mastodon_links_back"), False),
        # a CSV import proves nothing: bob is only "claimed" here, on both networks
        (BOB, n.x("bob"), "bluesky", w.handle("bob"), w.did("bob"), "possible", "follower",
         claimed, False),
        (CAROL, n.x("carol"), "bluesky", w.handle("carol_impostor"), w.did("carol_impostor"),
         "possible", "both", claimed, False),
        (ERIN, n.x("erin"), "bluesky", w.handle("erin_homonym"), w.did("erin_homonym"),
         "possible", "follower", ("name_from_your_archive", "handle_custom_domain",
                                  "handle_only"), False),
        (BOB, n.x("bob"), "mastodon", n.bob_acct, None, "possible", "follower", claimed,
         False),
        (FRANK, n.x("frank"), "mastodon", n.frank_acct, None, "possible", "following",
         ("mastodon_in_bluesky_bio",), False),
    ]  # fmt: skip
    assert json_rows(done.stdout) == expected  # the display order, exactly
    data = json.loads(done.stdout)
    for item in data:
        for reason in item["reasons"]:
            text = reason["text"]
            assert text and "match.reason." not in text and "{" not in text, reason
    alice = data[0]["reasons"]
    assert n.x("alice") in alice[1]["text"] and w.handle("alice") in alice[2]["text"]
    assert data[0]["x_id"] == str(ALICE)  # ids as strings: JSON numbers lose precision


def test_cli_offline_never_claims_a_checked_match(world: Seeded, files: dict[str, Path]) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"  # offline: never contacted
    done = cli(
        str(files["zip"]), "--json", "--offline", "--directory", str(files["csv"]),
        "--appview", dead, "--mastodon-instance", dead,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = json_rows(done.stdout)
    assert {r[5] for r in rows} == {"possible"}
    assert not any(r[8] for r in rows)
    guesses = {(r[0], r[3]) for r in rows if r[7] == ("handle_guess_unverified",)}
    # every contact with a name, blocked grace excepted; labels are unknown offline
    assert guesses == {
        (x_id, f"{NAMES.screen_names[x_id]}.bsky.social")
        for x_id in (ALICE, BOB, CAROL, DAN, ERIN, DAVE, FRANK)
    }
    assert all(r[4] is None for r in rows if r[7] == ("handle_guess_unverified",))
    claimed = {(r[0], r[2], r[3], r[4]) for r in rows if r[7][0] == "directory_claimed"}
    assert claimed == {
        (BOB, "bluesky", world.handle("bob"), None),
        (BOB, "mastodon", NAMES.bob_acct, None),
        (CAROL, "bluesky", None, world.did("carol_impostor")),
    }
    assert len(rows) == len(guesses) + len(claimed)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_cli_with_the_network_down(files: dict[str, Path], lang: str) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    done = cli(str(files["zip"]), "--appview", dead, "--mastodon-instance", dead, lang=lang)
    assert done.returncode == 3
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert "Traceback" not in line and "bluesky" in line
    english = "bluesky did not answer: "
    assert line.startswith(english) if lang == "en" else not line.startswith(english)


# -- the bot itself, as a user sees it -----------------------------------------------------


def test_the_bot_finds_the_contacts_on_the_live_networks(
    atproto_network: AtprotoNetwork,
    mastodon_live: MastodonServer,
    world: Seeded,
    files: dict[str, Path],
    tmp_path: Path,
) -> None:
    """`chatbot console`: upload the archive, read the counts, review with /match, confirm."""
    dead = f"http://127.0.0.1:{closed_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATBOT_")}
    env.pop("DATABASE_URL", None)
    env.update(
        CHATBOT_DATA_DIR=str(tmp_path / "data"),
        CHATBOT_BLUESKY_APPVIEW_URL=atproto_network.appview_url,
        CHATBOT_MASTODON_LOOKUP_INSTANCE=mastodon_live.url,
        CHATBOT_X_OEMBED_URL=f"{dead}/oembed",
        LANG="fr_FR.UTF-8",
        HTTP_PROXY=dead,
        HTTPS_PROXY=dead,
        ALL_PROXY=dead,
        NO_PROXY="127.0.0.1,localhost",
    )
    script = f"/upload {files['zip']}\n/match\n1\n"
    done = subprocess.run(
        [str(CHATBOT), "console"],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    out = done.stdout
    fr = translator("fr")
    assert fr("match.found.following") in out and fr("match.found.followers") in out
    counts = out.split(fr("match.counts.title"))[1]
    assert "Bluesky :" in counts or "Bluesky:" in counts
    # the review lists the likely matches with their reasons, in French
    alice = world.handle("alice")
    assert alice in out
    assert fr("match.tier.likely") in out
    # never proposed: the blocked contact and the account labelled as an impersonation
    assert world.handle("grace") not in out and world.handle("dan") not in out
    # the page's questions are numbered on: 1-2 for the first match, 3-4 for the next...
    first = out.index(alice)
    assert "1. ✅" in out[first:] and "3. ✅" in out[first:]
    # so "1" confirmed the first match shown (alice), and the bot says so
    assert out.rstrip().endswith(fr("match.review.confirmed", handle=alice))
