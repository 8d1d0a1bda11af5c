"""Abuse bench (threat model §4.4): the 100,000,000-id zip against the real bot.

    .venv/bin/python bench/bench_abuse.py [--baseline /tmp/base] [--cases one,two]

For each case the real bot (`chatbot run`, Telegram polling, SQLite) and the Bot API
emulator (local mode) start as processes; one user sends the flood zip, another sends
`/help` over and over; the summed RSS of the bot and its parser processes is sampled at
20 Hz until the first user has an answer (`tests/abuse/memkit.py`). `--baseline` runs
the same cases with another checkout of the code first (e.g. the parent commit,
exported with `git archive` into /tmp), in the same run.

Cases: ``one``: follower.js with 100,000,001 ids (10.8 MB zip, 1.8 GB of JSON);
``two``: follower.js and follower-part1.js of that size each (21.7 MB zip);
``distinct``: 4,400,000 ids, all different (the most a 10 MB zip holds: 10.2 MB);
``largest``: 20,000,000 ids, all different (the largest follower list read, ~46 MB zip).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from devtools.archivegen_flood import flood_zip  # noqa: E402
from tests.abuse.memkit import REFUSALS, deployment, run_flood  # noqa: E402

CACHE = REPO / ".cache" / "bench" / "abuse"
CASES = {
    "one": (100_000_001, 1, False),
    "two": (200_000_002, 2, False),
    "distinct": (4_400_000, 1, True),
    "largest": (20_000_000, 1, True),
}
NEEDLES = ("Archive of @", *REFUSALS)


def flood(case: str) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    ignore = REPO / ".cache" / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    ids, parts, distinct = CASES[case]
    path = CACHE / f"flood-{case}.zip"
    if not path.exists():
        flood_zip(path, ids=ids, parts=parts, distinct=distinct)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="another checkout to run first")
    parser.add_argument("--cases", default="one,two")
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()
    codes = ([("baseline", args.baseline)] if args.baseline else []) + [("this code", REPO)]
    rows = []
    for case in args.cases.split(","):
        path = flood(case)
        for label, code in codes:
            with (
                tempfile.TemporaryDirectory(prefix="bench-abuse-") as tmp,
                deployment(Path(tmp), code) as deploy,
            ):
                run = run_flood(deploy, path, NEEDLES, timeout_s=args.timeout)
            size = path.stat().st_size / 1e6
            rows.append(
                f"| {case} ({size:.1f} MB zip) | {label} | {run.peak_mb:,.0f} MB "
                f"| {run.sample_hz:.0f} Hz | {run.answer_s:.1f} s | {run.done_s:.1f} s "
                f"| {run.messages} "
                f"| {run.help_p50_s:.2f} s | {run.help_max_s:.2f} s "
                f"| {run.answer.splitlines()[0][:60]} |"
            )
            print(rows[-1], flush=True)
    print("\n| case | code | peak RSS, bot + parsers | sampling | summary after "
          "| matching done after | messages | /help p50 | /help max | answer |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
