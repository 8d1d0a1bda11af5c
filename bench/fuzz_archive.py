"""A long fuzzing run of the archive reader (the pytest part runs 1,000 examples).

    .venv/bin/python bench/fuzz_archive.py [--examples 5000] [--seed 0]

Same inputs and checks as `tests/abuse/test_fuzz_archive.py`: small valid archives with
one mutation each (bytes, zip structure, data files), run through `read_archive`,
`iter_tweets` and `prepare_posts`. A crash (any exception other than `ArchiveError`) or a
write outside the media folder is counted, not raised, and the first ones are printed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

from tests.abuse.fuzzkit import Outcome, run_example  # noqa: E402
from tests.abuse.mutations import FuzzInput, fuzz_inputs  # noqa: E402


def run(examples: int, seed_value: int) -> list[Outcome]:
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="fuzz-archive-") as tmp:
        work = Path(tmp)
        _run_in(work, examples, seed_value, outcomes)
    return outcomes


def _run_in(work: Path, examples: int, seed_value: int, outcomes: list[Outcome]) -> None:

    @seed(seed_value)
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(inp=fuzz_inputs())
    def one(inp: FuzzInput) -> None:
        outcomes.append(run_example(inp, work / "example"))

    one()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    outcomes = run(args.examples, args.seed)
    wall = time.perf_counter() - started
    crashes = [o for o in outcomes if o.crashes]
    writes = [o for o in outcomes if o.writes]
    slowest = max(outcomes, key=lambda o: o.seconds)
    hungriest = max(outcomes, key=lambda o: max(o.traced_mb, o.rss_mb))
    print("| examples | crashes | writes outside | max peak traced | max RSS growth "
          "| max time | total |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|")
    traced = max(o.traced_mb for o in outcomes)
    rss = max(o.rss_mb for o in outcomes)
    print(f"| {len(outcomes):,} | {len(crashes)} | {len(writes)} | {traced:.1f} MB | {rss:.1f} MB "
          f"| {slowest.seconds:.2f} s | {wall:.0f} s |")  # fmt: skip
    print(f"\nslowest: {slowest.label}; most memory: {hungriest.label}")
    codes = Counter(code for o in outcomes for code in o.codes)
    print("outcomes of the 3 readers:", ", ".join(f"{c} {n}" for c, n in codes.most_common()))
    kinds = Counter(o.label.split("/", 1)[1].split(":")[0] for o in outcomes)
    print("mutations:", ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    for outcome in (crashes + writes)[:5]:
        print(f"\n== {outcome.label}\n{''.join(outcome.crashes[:1])}{outcome.writes[:3]}")
    sys.exit(1 if crashes or writes else 0)


if __name__ == "__main__":
    main()
