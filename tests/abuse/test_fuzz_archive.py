"""Fuzzing the archive reader: hostile uploads end in `ArchiveError`, never in anything else.

Each example is a small valid archive (generated, or the real sample files) with one
mutation of its bytes, its zip structure or one of its data files (`mutations`). The
readers must return or raise `ArchiveError`, write nothing outside the media folder, and
stay within a memory and time bound. `bench/fuzz_archive.py` runs the same for longer.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.abuse.fuzzkit import Outcome, run_example
from tests.abuse.mutations import FuzzInput, base_members, build_zip, fuzz_inputs

MAX_MB = 200  # peak memory of one example (traced Python allocations and RSS growth)
MAX_SECONDS = 10.0
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def check(outcome: Outcome) -> None:
    assert not outcome.crashes, f"{outcome.label}:\n{outcome.crashes[0]}"
    assert not outcome.writes, f"{outcome.label} wrote outside its folder: {outcome.writes}"
    assert outcome.traced_mb < MAX_MB and outcome.rss_mb < MAX_MB, outcome
    assert outcome.seconds < MAX_SECONDS, outcome


@settings(
    max_examples=1000,
    deadline=None,  # the time bound is checked on the three readers only, not on generation
    database=None,
    derandomize=ON_CI,  # the same examples on every CI run; new ones locally
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
@given(inp=fuzz_inputs())
def fuzz(workdir: Path, outcomes: list[Outcome], inp: FuzzInput) -> None:
    outcome = run_example(inp, workdir)
    outcomes.append(outcome)
    check(outcome)


def test_hostile_uploads_end_in_archive_errors_and_reach_many_outcomes(tmp_path: Path) -> None:
    outcomes: list[Outcome] = []
    fuzz(tmp_path / "example", outcomes)
    codes = {code for outcome in outcomes for code in outcome.codes}
    assert {"ok", "malformed", "truncated", "no_data"} <= codes, codes


# -- regressions: inputs the fuzzer found ----------------------------------------------------


def _tweets_replaced(body: bytes) -> list[tuple[str, bytes]]:
    members = base_members("gen-H")
    return [
        (name, b"window.YTD.tweets.part0 = " + body if name.endswith("/tweets.js") else data)
        for name, data in members
    ]


@pytest.mark.parametrize("loose", [False, True])
@pytest.mark.parametrize("depth", [1_100, 50_000, 400_000])
def test_deeply_nested_records_are_malformed_not_gigabytes(
    tmp_path: Path, depth: int, loose: bool
) -> None:
    """Found by the fuzzer: 50,000 nested ``[`` in a minified tweets.js took 6 GB and 4 s
    (ijson's ``items`` builds a dotted prefix per level); 400,000 took 7.8 GB."""
    nested = b"[" * depth + b"]" * depth
    members = _tweets_replaced(b'[{"tweet":{"id_str":"1","entities":' + nested + b"}}]")
    inp = (
        FuzzInput("nested", loose=[m for m in members if m[0].endswith(".js")])
        if loose
        else FuzzInput("nested", blob=build_zip(members))
    )
    outcome = run_example(inp, tmp_path / "example")
    check(outcome)
    assert outcome.codes == ["malformed"] * 3


def test_a_megabytes_long_post_is_cut_not_split_into_thousands(tmp_path: Path) -> None:
    """Found by the fuzzer: a 9 MB ``full_text`` (loose tweets.js) made `prepare_posts`
    take 8.5 s and 880 MB, splitting it into 30,000 Bluesky posts."""
    text = b"a" * (9 << 20)
    members = _tweets_replaced(b'[{"tweet":{"id_str":"1","full_text":"' + text + b'"}}]')
    outcome = run_example(
        FuzzInput("long", loose=[m for m in members if m[0].endswith(".js")]), tmp_path / "example"
    )
    check(outcome)
