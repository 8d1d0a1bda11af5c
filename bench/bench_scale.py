"""Issue 13: an organisation's archive (2,200,000 followers) against a 1,000,000-row
directory, through the console and `chatbot match`, with today's code beside it.

    .venv/bin/python bench/bench_scale.py [--quick] [--no-baseline] [--baseline REV]

Inputs (cached, see `scale_setup.cache_dir`): an era-H archive with `--followers`
followers, 5,000 following and 200 posts; a directory of `--directory` rows, of which
`--overlap` are followers of the archive (the rest are other accounts). Per code tree
(this branch, and the baseline commit checked out in a temporary worktree):

* **console**: `chatbot console` on SQLite whose directory holds the rows, offline
  matching, fed ``/upload ARCHIVE``: the time until the summary is printed, the time
  until the matching counts are printed, and the peak RSS of the whole process tree
  (the bot and its parser processes, summed, sampled 20 times a second);
* **cli**: `chatbot match --offline --directory CSV ARCHIVE --json`: wall time, peak
  tree RSS, and the number of matches (both trees must find the same).

Times are also given as a multiple of the raw inflate time of the follower files.
Targets (console, this branch): summary <= 3 s, matching <= 15 s, tree < 300 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
from scale_setup import OURS, REPO, Lines, Tree, TreeSampler, baseline_tree, cache_dir

sys.path.insert(0, str(REPO))

from chatbot.i18n import translator

EN = translator("en")
DONE = (EN("match.found.pointer"), EN("match.found.none"), EN("match.found.failed"))
SUMMARY = "Archive of @"
TARGETS = {"summary_s": 3.0, "match_s": 15.0, "tree_mb": 300.0}


# --- inputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    archive: Path
    directory_csv: Path
    rows: int
    overlap: int


def inputs(followers: int, rows: int, overlap: int) -> Inputs:
    from devtools.archivegen import ArchiveSpec, generate

    folder = cache_dir("scale")
    archive = folder / f"twitter-{followers}.zip"
    ids_file = folder / f"followers-{followers}.npy"
    if not archive.exists() or not ids_file.exists():
        spec = ArchiveSpec(era="H", followers=followers, following=5000, tweets=200,
                           canaries=False, with_media_files=False)  # fmt: skip
        made = generate(spec, archive.with_suffix(".tmp"))
        np.save(ids_file, np.asarray(made.followers, dtype=np.int64))
        archive.with_suffix(".tmp").rename(archive)
    csv_path = folder / f"directory-{followers}-{rows}-{overlap}.csv"
    if not csv_path.exists():
        rng = np.random.default_rng(13)
        mine = rng.choice(np.load(ids_file), size=min(overlap, followers), replace=False)
        others = rng.integers(10**15, 2**62, size=rows - len(mine), dtype=np.int64)
        ids = np.concatenate([mine, others])
        rng.shuffle(ids)
        with csv_path.with_suffix(".tmp").open("w") as out:
            out.write("x_id,x_username,bluesky,mastodon\n")
            for x_id in ids.tolist():
                out.write(f"{x_id},u{x_id % 10**9},u{x_id:x}.bsky.social,\n")
        csv_path.with_suffix(".tmp").rename(csv_path)
    return Inputs(archive, csv_path, rows, overlap)


def inflate_s(archive: Path) -> float:
    """Raw inflate time of the follower files (the floor of any reader)."""
    started = time.perf_counter()
    with zipfile.ZipFile(archive) as zf:
        for name in zf.namelist():
            if name.rpartition("/")[2].startswith("follower"):
                with zf.open(name) as stream:
                    while stream.read(1 << 20):
                        pass
    return time.perf_counter() - started


FILL = """
import asyncio, csv, sqlite3, sys
from chatbot.storage.db import Database
path, source = sys.argv[1], sys.argv[2]
asyncio.run(Database("sqlite+aiosqlite:///" + path).migrate())
db = sqlite3.connect(path)
now = "2026-01-01 00:00:00"
with open(source) as rows:
    next(rows)
    db.executemany(
        "INSERT INTO directory_entries (x_id, x_username, network, target, handle, provenance,"
        " provenance_detail, new_account_proof, x_proof, findable, created_at, updated_at)"
        " VALUES (?, ?, 'bluesky', ?, ?, 'csv_import', 'bench.csv', 'none', 'none', 1, ?, ?)",
        ((int(r[0]), r[1], r[2], r[2], now, now) for r in csv.reader(rows)))
db.commit()
db.execute("ANALYZE")
db.close()
"""


def filled_database(tree: Tree, data: Inputs, folder: Path) -> Path:
    """A SQLite database migrated by `tree`'s code, holding the directory rows."""
    path = folder / f"directory-{'ours' if tree == OURS else 'baseline'}.sqlite3"
    path.unlink(missing_ok=True)
    subprocess.run([sys.executable, "-c", FILL, str(path), str(data.directory_csv)],
                   env=tree.env(), cwd=folder, check=True)  # fmt: skip
    return path


# --- the runs ------------------------------------------------------------------------------


@dataclass
class Run:
    tree: str
    scenario: str
    summary_s: float | None = None
    match_s: float | None = None
    wall_s: float | None = None
    tree_mb: float = 0.0
    main_mb: float = 0.0
    matches: str = ""
    notes: list[str] = field(default_factory=list)


def console(tree: Tree, data: Inputs, database: Path, timeout: float) -> Run:
    run = Run(tree.label, "console: /upload, offline matching")
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        home = Path(tmp)
        shutil.copyfile(database, home / "chatbot.sqlite3")
        env = tree.env(CHATBOT_DATA_DIR=str(home), CHATBOT_MATCHING_OFFLINE="true",
                       CHATBOT_LOG_LEVEL="WARNING")  # fmt: skip
        proc = subprocess.Popen(tree.argv("console"), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=(home / "log").open("w"),
                                text=True, env=env, cwd=home)  # fmt: skip
        assert proc.stdin is not None
        out = Lines(proc.stdout)
        try:
            with TreeSampler(proc.pid) as sampler:
                proc.stdin.write("/start\n")
                proc.stdin.flush()
                if out.wait(lambda line: "Bluesky" in line, 0, 120) is None:
                    run.notes.append("no answer to /start")
                    return run
                start = len(out.lines)
                sent = time.perf_counter()
                proc.stdin.write(f"/upload {data.archive}\n")
                proc.stdin.flush()
                summary = out.wait(lambda line: SUMMARY in line, start, timeout)
                done = out.wait(lambda line: line in DONE, start, timeout)
                if summary is not None:
                    run.summary_s = summary[1] - sent
                if done is None:
                    run.notes.append(f"matching not done after {timeout:.0f} s")
                else:
                    run.match_s = done[1] - sent
                    first = out.wait(lambda line: "found elsewhere" in line, start, 1)
                    block = out.lines[first[0] if first else done[0] : done[0]]
                    run.matches = " / ".join(line.strip() for _, line in block if line.strip())
                proc.stdin.close()
                proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        run.tree_mb, run.main_mb = sampler.peak_tree_mb, sampler.peak_main_mb
    return run


def cli(tree: Tree, data: Inputs, timeout: float) -> Run:
    run = Run(tree.label, "`chatbot match --offline --directory`")
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        result = Path(tmp) / "matches.json"
        args = ["match", "--offline", "--json", "--directory", str(data.directory_csv),
                str(data.archive)]  # fmt: skip
        started = time.perf_counter()
        with result.open("wb") as out:
            proc = subprocess.Popen(tree.argv(*args), stdout=out, stderr=subprocess.DEVNULL,
                                    env=tree.env(), cwd=tmp)  # fmt: skip
            with TreeSampler(proc.pid) as sampler:
                try:
                    proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                    run.notes.append(f"killed after {timeout:.0f} s")
        run.wall_s = time.perf_counter() - started
        run.tree_mb, run.main_mb = sampler.peak_tree_mb, sampler.peak_main_mb
        if proc.returncode == 0:
            found = orjson.loads(result.read_bytes())
            run.matches = f"{len(found):,} matches"
    return run


# --- the report ----------------------------------------------------------------------------


def _s(value: float | None, inflate: float) -> str:
    return "–" if value is None else f"{value:.2f} s ({value / inflate:.0f}×)"


def report(runs: list[Run], data: Inputs, followers: int, inflate: float) -> list[str]:
    lines = [
        f"Archive: {followers:,} followers, 5,000 following, 200 posts "
        f"({data.archive.stat().st_size / 2**20:.0f} MiB zipped); directory: "
        f"{data.rows:,} rows, {data.overlap:,} of them followers of the archive. Raw "
        f"inflate of the follower files: {inflate:.2f} s (the × column divides by it).",
        "",
        "| scenario | code | summary | matching done / wall | peak RSS, tree | peak RSS, "
        "main process | result |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        end = r.match_s if r.match_s is not None else r.wall_s
        result = "; ".join([r.matches, *r.notes]).strip("; ")
        lines.append(
            f"| {r.scenario} | {r.tree} | {_s(r.summary_s, inflate)} | {_s(end, inflate)} "
            f"| {r.tree_mb:.0f} MB | {r.main_mb:.0f} MB | {result} |"
        )
    return lines


def missed(runs: list[Run]) -> list[str]:
    out = []
    for r in runs:
        if r.tree != OURS.label:
            continue
        if r.scenario.startswith("console"):
            if r.summary_s is None or r.summary_s > TARGETS["summary_s"]:
                out.append(f"console summary: {r.summary_s}")
            if r.match_s is None or r.match_s > TARGETS["match_s"]:
                out.append(f"console matching: {r.match_s}")
        if r.tree_mb >= TARGETS["tree_mb"]:
            out.append(f"{r.scenario}: {r.tree_mb:.0f} MB")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--followers", type=int, default=2_200_000)
    parser.add_argument("--directory", type=int, default=1_000_000, help="directory rows")
    parser.add_argument("--overlap", type=int, default=50_000, help="rows that are followers")
    parser.add_argument("--quick", action="store_true", help="220,000 followers, 100,000 rows")
    parser.add_argument("--baseline", default=None, help="commit of today's code")
    parser.add_argument("--no-baseline", action="store_true", help="this branch only")
    parser.add_argument("--timeout", type=float, default=900.0, help="per run, seconds")
    args = parser.parse_args()
    if args.quick:
        args.followers, args.directory, args.overlap = 220_000, 100_000, 5_000
    data = inputs(args.followers, args.directory, args.overlap)
    inflate = inflate_s(data.archive)
    folder = cache_dir("scale")
    runs: list[Run] = []
    trees = [OURS]
    with contextlib.ExitStack() as stack:
        if not args.no_baseline:
            trees.append(stack.enter_context(baseline_tree(*filter(None, [args.baseline]))))
        for tree in trees:
            database = filled_database(tree, data, folder)
            runs.append(console(tree, data, database, args.timeout))
            runs.append(cli(tree, data, args.timeout))
            database.unlink()  # a baseline worktree's path differs each run
    print("\n".join(report(runs, data, args.followers, inflate)))
    print(f"\nload average (1, 5, 15 min) at the end: {os.getloadavg()}")
    failures = missed(runs)
    if failures:
        print("\nTARGETS MISSED:\n  " + "\n  ".join(failures))
        return 1
    print("\ntargets met (summary <= 3 s, matching <= 15 s, process tree < 300 MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
