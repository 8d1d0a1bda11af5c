"""`chatbot match` and the bot itself on the live networks, as a user runs them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from chatbot.archive import read_archive
from chatbot.i18n import translator
from tests.networks import live_world as lw
from tests.networks.live_setup import (
    CHATBOT,
    NAMES,
    cli,
    closed_port,
    console_env,
    json_rows,
)
from tests.networks.live_world import (
    ALICE,
    BOB,
    CAROL,
    DAN,
    DAVE,
    ERIN,
    FRANK,
    Seeded,
)
from tests.servers.atproto import AtprotoNetwork
from tests.servers.mastodon import MastodonServer

pytestmark = [pytest.mark.server, pytest.mark.slow]


def test_the_zip_reads_as_the_archive_built_directly(files: dict[str, Path]) -> None:
    parsed, built = read_archive([files["zip"]]), lw.parsed_archive(NAMES)
    assert list(parsed.following) == sorted(set(built.following))
    assert list(parsed.followers) == sorted(set(built.followers))
    assert list(parsed.blocked) == sorted(set(built.blocked))
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
    claimed = ("directory_claimed", "source_csv_import", "new_side_unproved", "x_side_unproved")
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
    args = ("--offline", "--directory", str(files["csv"]), "--appview", dead,
            "--mastodon-instance", dead)  # fmt: skip
    done = cli(str(files["zip"]), "--json", *args)
    assert done.returncode == 0, done.stderr
    rows = json_rows(done.stdout)
    assert {r[5] for r in rows} == {"possible"}
    assert not any(r[8] for r in rows)
    # the directory's rows only: a handle guessed from a name is never a match (issue 12)
    claimed = {(r[0], r[2], r[3], r[4]) for r in rows}
    assert claimed == {
        (BOB, "bluesky", world.handle("bob"), None),
        (BOB, "mastodon", NAMES.bob_acct, None),
        (CAROL, "bluesky", None, world.did("carol_impostor")),
    }
    assert all(r[7][0] == "directory_claimed" for r in rows)
    # the text lists the guesses apart, plainly unchecked: every contact with a name,
    # blocked grace excepted, that the directory does not link on Bluesky
    text = cli(str(files["zip"]), *args)
    assert text.returncode == 0, text.stderr
    matches, _, unchecked = text.stdout.partition("\nNot checked: ")
    assert "3 matches" in matches and ".bsky.social" not in matches
    guessed = {line.split(" → ")[1].split(" ")[0] for line in unchecked.splitlines()[1:]}
    assert guessed == {
        f"{NAMES.screen_names[x_id]}.bsky.social" for x_id in (ALICE, DAN, ERIN, DAVE, FRANK)
    }
    assert all(line.endswith("(not checked)") for line in unchecked.splitlines()[1:])


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
    env = console_env(tmp_path / "data", appview_url=atproto_network.appview_url,
                      mastodon_url=mastodon_live.url, lang="fr_FR.UTF-8")  # fmt: skip
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
    assert "Bluesky :" in counts and "probables" in counts  # French spacing and plural
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
