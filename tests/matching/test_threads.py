"""Threads: addresses in any spelling, the reader against a stand-in that answers the way
Threads does (over real HTTP), and the evidence rules T1-T3 of `chatbot.matching.threads`."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chatbot.archive.model import Owner, ParsedArchive, id_array
from chatbot.cli import main
from chatbot.matching import MemoryDirectory, match_archive
from chatbot.matching.directory import parse_directory_csv
from chatbot.matching.model import Match
from chatbot.networks import lookup_budget
from chatbot.networks.http import HttpPolicy
from chatbot.networks.threads import ThreadsLookup
from chatbot.networks.threads_names import threads_in_text, threads_username
from chatbot.networks.types import BlueskyProfile, MastodonAccount
from devtools.memnet import MemoryBluesky, MemoryMastodon
from tests.servers.egress import local_egress
from tests.servers.threads_standin import ThreadsProfile, ThreadsStandin

FRIEND, NAMESAKE, LINKED, ROW, HIDDEN, FAN, OWNER = 21, 22, 23, 24, 25, 26, 27
FAST = HttpPolicy(attempts=2, backoff_initial=0.05, max_wait=5)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("@Zuck@threads.net", "zuck"),
        ("zuck@threads.com", "zuck"),
        ("https://www.threads.com/@zuck", "zuck"),
        ("threads.net/@alex.stamos/", "alex.stamos"),
        ("http://www.threads.net/@a_b", "a_b"),
        ("zuck@mastodon.social", None),
        ("a..b@threads.net", None),
        ("@toolongname_toolongname_toolong@threads.net", None),
        ("https://threads.net.evil.example/@zuck", None),
        ("", None),
    ],
)
def test_threads_addresses_in_any_spelling(value: str, expected: str | None) -> None:
    assert threads_username(value) == expected


def test_threads_accounts_named_in_a_bio() -> None:
    bio = (
        "Also on https://www.threads.com/@Friend. and @other_one@threads.net, "
        "not me@mastodon.social; threads.net/@friend again"
    )
    assert threads_in_text(bio) == ["friend", "other_one"]
    many = " ".join(f"threads.net/@n{i}" for i in range(50))
    assert len(threads_in_text(many)) == 5  # bounded
    assert threads_in_text("x" * 100_000 + " threads.net/@late") == []  # only the start is read


@pytest.fixture
async def threads() -> AsyncIterator[ThreadsStandin]:
    server = ThreadsStandin()
    server.add(ThreadsProfile("friend", "Friend", "Bluesky: friend.bsky.social"))
    server.add(ThreadsProfile("namesake", "Someone", "photos"))
    server.add(ThreadsProfile("linked", "Linked", "my X: x.com/linked"))
    server.add(ThreadsProfile("rowed", "Row"))
    server.add(ThreadsProfile("hidden", "Hidden", fediverse_sharing=False))
    async with server.running():
        yield server


def _reader(server: ThreadsStandin) -> ThreadsLookup:
    return ThreadsLookup(server.base, egress=local_egress(), policy=FAST)


async def test_reader_finds_only_accounts_that_opted_in(threads: ThreadsStandin) -> None:
    async with _reader(threads) as reader:
        friend = await reader.lookup("@Friend@threads.com")  # any spelling, one address
        assert friend is not None and friend.acct == "friend@threads.net"
        assert friend.note is None  # Threads answers signed actor fetches only
        assert await reader.lookup("hidden") is None  # not opted in: WebFinger says 404
        assert await reader.lookup("nobody") is None
        assert await reader.lookup("https://evil.example/@friend") is None
        asked = list(threads.hits)
        assert await reader.lookup("friend") is not None  # cached
        assert threads.hits == asked
    assert "/.well-known/webfinger?resource=acct%3Afriend%40threads.net" in asked
    assert not any("hidden" in hit and "/ap/" in hit for hit in asked)


async def test_reader_reads_the_bio_when_the_actor_answers(threads: ThreadsStandin) -> None:
    threads.signed_fetch = False
    async with _reader(threads) as reader:
        linked = await reader.lookup("linked")
    assert linked is not None and linked.note == "my X: x.com/linked"
    assert linked.display_name == "Linked"


async def test_reader_waits_out_rate_limits_and_charges_the_budget(
    threads: ThreadsStandin,
) -> None:
    threads.throttle, threads.retry_after = 2, 0
    budget = lookup_budget.LookupBudget(per_run=3, per_second=1000)
    async with _reader(threads) as reader:
        with lookup_budget.metered(budget):
            assert await reader.lookup("friend") is not None  # after two 429s
            with pytest.raises(lookup_budget.LookupCapped):
                await reader.lookup("namesake")
    assert budget.spent["threads"] == 3 and budget.capped == {"threads"}


def _archive() -> ParsedArchive:
    parsed = ParsedArchive(
        era="manifest",
        owner=Owner(account_id=str(OWNER), username="me"),
        following=id_array([FRIEND, NAMESAKE, LINKED, ROW, HIDDEN]),
        followers=id_array([FAN, FRIEND]),
    )
    parsed.handles = {
        x: Counter({name: 2})
        for x, name in [(FRIEND, "friend"), (NAMESAKE, "namesake"), (LINKED, "linked"),
                        (FAN, "ada")]
    }  # fmt: skip
    return parsed


def _directory() -> MemoryDirectory:
    directory = MemoryDirectory()
    rows = f"{ROW},rowed,,,https://www.threads.com/@rowed\n{HIDDEN},hid,,hidden@threads.net\n"
    entries, problems = parse_directory_csv(rows)
    assert not problems
    for entry in entries:
        directory.add(entry)
    return directory


def _bluesky() -> MemoryBluesky:
    return MemoryBluesky([
        BlueskyProfile("did:plc:friend", "friend.bsky.social", "Friend",
                       "x.com/friend · threads.com/@friend"),
        BlueskyProfile("did:plc:ada", "ada.bsky.social", "Ada", "x.com/ada @ada@fedi.example"),
    ])  # fmt: skip


def _mastodon() -> MemoryMastodon:
    mastodon = MemoryMastodon()
    mastodon.add(MastodonAccount("ada@fedi.example", "u", note="x.com/ada @namesake@threads.net"))
    return mastodon


async def _matches(server: ThreadsStandin) -> dict[tuple[int, str], Match]:
    async with _reader(server) as reader:
        found = await match_archive(
            _archive(), _directory(), _bluesky(), _mastodon(), decisions={}, threads=reader
        )
    return {(m.x_id, str(m.acct)): m for m in found if m.network == "threads"}


async def test_threads_matches_follow_the_evidence_rules(threads: ThreadsStandin) -> None:
    threads.signed_fetch = False  # the bios are read (T2 and T3 upgrades)
    found = await _matches(threads)
    friend = found[FRIEND, "friend@threads.net"]
    # T2: the likely Bluesky match names it, and its Threads bio names the Bluesky handle
    assert friend.tier == "likely" and friend.direction == "both"
    assert {"threads_in_bluesky_bio", "threads_links_back"} <= set(friend.reason_codes())
    # T3: the X name alone on threads.net: possible; with the X account in its bio: likely
    namesake = found[NAMESAKE, "namesake@threads.net"]
    assert namesake.tier == "possible" and "handle_only" in namesake.reason_codes()
    linked = found[LINKED, "linked@threads.net"]
    assert linked.tier == "likely" and "threads_bio_links_x" in linked.reason_codes()
    # T1: a directory row (any spelling), kept while it answers; not opted in: dropped
    row = found[ROW, "rowed@threads.net"]
    assert row.tier == "possible" and row.x_username == "rowed"
    assert not any(x_id == HIDDEN for x_id, _ in found)
    # T2 from a Mastodon bio: the fan's possible Mastodon match names @namesake@threads.net
    assert (FAN, "namesake@threads.net") in found
    assert found[FAN, "namesake@threads.net"].tier == "possible"
    # never a Mastodon row for a Threads address
    assert set(found) == {
        (FRIEND, "friend@threads.net"), (NAMESAKE, "namesake@threads.net"),
        (LINKED, "linked@threads.net"), (ROW, "rowed@threads.net"),
        (FAN, "namesake@threads.net"),
    }  # fmt: skip


async def test_without_the_bio_nothing_rises_above_what_webfinger_proves(
    threads: ThreadsStandin,
) -> None:
    """Threads as it is (signed actor fetches only): no bio, so no link back is seen."""
    found = await _matches(threads)
    assert found[FRIEND, "friend@threads.net"].tier == "possible"
    assert found[LINKED, "linked@threads.net"].tier == "possible"


async def test_offline_the_directory_rows_are_still_reported() -> None:
    found = await match_archive(_archive(), _directory(), None, None, decisions={})
    threads = {m.acct: m for m in found if m.network == "threads"}
    assert set(threads) == {"rowed@threads.net", "hidden@threads.net"}
    assert not any(m.network == "mastodon" for m in found)


async def test_threads_down_leaves_the_other_networks_alone() -> None:
    """Nothing answers on the Threads host: Bluesky's matches stand, the rows stay
    (unchecked), and the budget says Threads was not searched."""
    reader = ThreadsLookup("http://127.0.0.1:9", egress=local_egress(), policy=FAST)
    budget = lookup_budget.LookupBudget(per_run=100, per_second=1000)
    with lookup_budget.metered(budget):
        found = await match_archive(
            _archive(), _directory(), _bluesky(), None, decisions={}, threads=reader
        )
    await reader.aclose()
    assert {m.network for m in found} == {"bluesky", "threads"}
    assert {m.acct for m in found if m.network == "threads"} == {
        "rowed@threads.net",
        "hidden@threads.net",
    }
    assert budget.skipped == {"threads"} and not budget.capped


def test_chatbot_match_json_lists_threads_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    following = tmp_path / "following.js"
    following.write_text(
        'window.YTD.following.part0 = [{"following": {"accountId": "1001"}},'
        ' {"following": {"accountId": "1002"}}]',
        encoding="utf-8",
    )
    directory = tmp_path / "dir.csv"
    directory.write_text(
        "x_id,x_username,bluesky,mastodon,threads\n"
        "1001,ana,,,https://www.threads.com/@Ana.Site\n1002,bo,,@bo@threads.net\n",
        encoding="utf-8",
    )
    code = main(["match", str(following), "--directory", str(directory), "--offline", "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    rows = {(d["x_id"], d["network"], d["handle"], d["tier"]) for d in json.loads(out.out)}
    assert rows == {
        ("1001", "threads", "ana.site@threads.net", "possible"),
        ("1002", "threads", "bo@threads.net", "possible"),
    }


async def test_reader_refuses_answers_about_someone_else(threads: ThreadsStandin) -> None:
    """A hostile or broken answer cannot make the bot store another account, nor send it
    to fetch an actor elsewhere (here an internal address) or about another user."""
    threads.signed_fetch = False
    link = {"rel": "self", "type": "application/activity+json"}
    threads.jrd_for["friend"] = {"subject": "acct:namesake@threads.net", "links": []}
    threads.jrd_for["linked"] = {
        "subject": "acct:linked@threads.net",
        "links": [{**link, "href": "http://169.254.169.254/ap/users/1/"}],
    }
    threads.actor_name_for["namesake"] = "friend"
    async with _reader(threads) as reader:
        assert await reader.lookup("friend") is None  # the subject is another user
        linked = await reader.lookup("linked")  # found, but its actor is not fetched
        assert linked is not None and linked.note is None
        assert await reader.lookup("namesake") is None  # the actor is another user
    assert not any(hit.startswith("/ap/users/") and "000001/" in hit for hit in threads.hits)


async def test_a_spent_budget_keeps_the_directory_rows(threads: ThreadsStandin) -> None:
    """Rows are dropped only when Threads says the account is gone, not when the user's
    lookups ran out before asking."""
    budget = lookup_budget.LookupBudget(per_run=1, per_second=1000)
    async with _reader(threads) as reader:
        with lookup_budget.metered(budget):
            found = await match_archive(
                _archive(), _directory(), None, None, decisions={}, threads=reader
            )
    rows = {m.acct for m in found if m.network == "threads" and m.x_id in (ROW, HIDDEN)}
    assert budget.capped == {"threads"} and len(rows) >= 1
    asked = [hit for hit in threads.hits if "webfinger" in hit]
    assert len(asked) == 1  # one answer: that row is judged, the other kept unchecked
    assert ("hidden@threads.net" in rows) == ("hidden" not in asked[0])
