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

import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest

from chatbot.matching import MemoryDirectory, match_archive
from chatbot.matching.model import Decisions, Match
from chatbot.matching.proofs import XPostCheck
from chatbot.networks.http import HttpPolicy
from chatbot.networks.types import NetworkUnavailable
from tests.conftest import server_unavailable
from tests.networks import live_world as lw
from tests.networks.live_setup import (
    NAMES,
    Proofs,
    R,
    expected_rows,
    readers,
    row,
    run_match,
)
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
    Seeded,
)
from tests.servers.atproto import AtprotoNetwork
from tests.servers.mastodon import MastodonServer, MastodonUnavailable, start_mastodon

pytestmark = [pytest.mark.server, pytest.mark.slow]

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
