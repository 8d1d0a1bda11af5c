"""Benchmark of the archive reader against a naive ``json.loads`` baseline.

    .venv/bin/python bench/bench_archive.py [--quick]

Two synthetic archives (cached under .cache/bench/): one with 1,000,000 followers and
5,000 following, one with three 100 MiB tweets parts. Every case runs in a fresh
subprocess; the table shows its wall time and peak RSS (VmHWM). Targets: summary < 1 s,
follow-id extraction >= 3x faster than the baseline, peak RSS < 150 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "bench"
MIB = 1024**2


def _peak_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the measured tasks (run inside a worker subprocess) --------------------------------------


def _ours_summary(path: Path) -> int:
    from chatbot.archive import read_archive

    parsed = read_archive([path], hints=False)
    return len(parsed.followers) + len(parsed.following)


def _ours_hints(path: Path) -> int:
    from chatbot.archive import read_archive

    return len(read_archive([path], hints=True).handles)


def _ours_ids(path: Path) -> int:
    from chatbot.archive import open_archive
    from chatbot.archive.follows import extract_ids

    total = 0
    with open_archive([path]) as source:
        for kind in ("follower", "following"):
            for _, member in source.parts(kind):
                with source.open_member(member) as stream:
                    total += len(extract_ids(stream, member.rel)[0])
    return total


def _naive_load(zf: zipfile.ZipFile, name: str) -> Any:
    text = zf.read(name).decode("utf-8")
    return json.loads(text[text.index("=") + 1 :])  # the usual one-liner of existing tools


def _naive_ids(path: Path) -> int:
    total = 0
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            base = name.rpartition("/")[2]
            if base.startswith(("follower", "following")) and base.endswith(".js"):
                records = _naive_load(zf, name)
                total += len([int(next(iter(r.values()))["accountId"]) for r in records])
    return total


def _naive_summary(path: Path) -> int:
    """What simple tools do for a summary: json.loads every file they count from."""
    total = 0
    wanted = ("manifest", "account", "follower", "following", "tweets", "tweet-headers", "like")
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            base = name.rpartition("/")[2]
            if base.endswith(".js") and base[:-3].split("-part")[0] in wanted:
                value = _naive_load(zf, name)
                total += len(value) if isinstance(value, list) else 1
    return total


def _naive_tweets(path: Path) -> int:
    total = 0
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            base = name.rpartition("/")[2]
            if base.startswith("tweets") and base.endswith(".js"):
                total += len(_naive_load(zf, name))
    return total


def _ijson_tweets(path: Path) -> int:
    import ijson

    backend = ijson.get_backend("yajl2_c")
    total = 0
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            base = name.rpartition("/")[2]
            if base.startswith("tweets") and base.endswith(".js"):
                with zf.open(name) as stream:
                    stream.read(len("window.YTD.tweets.part0 = "))
                    total += sum(1 for _ in backend.items(stream, "item"))
    return total


def _sliced_tweets(path: Path) -> int:
    from chatbot.archive import open_archive
    from chatbot.archive.records import iter_records

    total = 0
    with open_archive([path]) as source:
        for _, member in source.parts("tweets"):
            with source.open_member(member) as stream:
                total += sum(1 for _ in iter_records(stream, member.rel))
    return total


TASKS = {
    "summary": _ours_summary,
    "hints": _ours_hints,
    "ids": _ours_ids,
    "naive-ids": _naive_ids,
    "naive-summary": _naive_summary,
    "naive-tweets": _naive_tweets,
    "ijson-tweets": _ijson_tweets,
    "sliced-tweets": _sliced_tweets,
}


PRELOAD = {"naive-ids": [], "naive-summary": [], "naive-tweets": [], "ijson-tweets": ["ijson"]}


def _worker(task: str, path: Path) -> None:
    import importlib

    for module in PRELOAD.get(task, ["chatbot.archive", "chatbot.archive.records"]):
        importlib.import_module(module)  # imports are not what we measure
    start = time.perf_counter()
    result = TASKS[task](path)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mb": _peak_mb(), "result": result}))


def _run(task: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", task, str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# -- inputs ---------------------------------------------------------------------------------


def _archive(label: str, **params: Any) -> Path:
    from devtools.archivegen import ArchiveSpec, generate

    CACHE.mkdir(parents=True, exist_ok=True)
    ignore = ROOT / ".cache" / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:12]
    path = CACHE / f"{label}-{digest}.zip"
    if not path.exists():
        start = time.perf_counter()
        tmp = path.with_suffix(".tmp")
        generate(ArchiveSpec(**params), tmp)
        tmp.rename(path)
        print(f"generated {path.name} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small inputs (CI smoke run)")
    parser.add_argument("--worker", nargs=2, metavar=("TASK", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker[0], Path(args.worker[1]))
        return 0
    if args.quick:
        followers, part, parts = 20_000, 1 * MIB, 3
    else:
        followers, part, parts = 1_000_000, 100 * MIB, 3
    common = {"era": "H", "canaries": False, "assets": "minimal", "with_media_files": False}
    follows = _archive("followers", followers=followers, following=5000, tweets=200, **common)
    tweets = _archive(
        "tweets",
        followers=100,
        following=100,
        tweets_bytes=parts * part,
        part_size_bytes=part,
        **common,
    )
    summary = ("summary (hints=False)", "summary", "naive-summary")
    ids = ("all follow ids", "ids", "naive-ids")
    rows = [
        (
            f"{followers:,} followers + 5,000 following",
            follows,
            [summary, ids, ("hints (hints=True)", "hints", None)],
        ),
        (
            f"{parts} tweets parts of {part // MIB} MiB",
            tweets,
            [
                summary,
                ids,
                ("hints (hints=True)", "hints", "naive-tweets"),
                (
                    "tweet records: slicing+orjson vs ijson yajl2_c",
                    "sliced-tweets",
                    "ijson-tweets",
                ),
            ],
        ),
    ]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} vCPU, Python "
        f"{platform.python_version()}; archives: {follows.stat().st_size / MIB:.1f} MiB and "
        f"{tweets.stat().st_size / MIB:.1f} MiB zipped\n"
    )
    print(
        "| archive | task | ours: time | ours: peak RSS | baseline: time | baseline: peak RSS"
        " | speed-up |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    failures = []
    for label, path, tasks in rows:
        for name, ours_task, base_task in tasks:
            ours = _run(ours_task, path)
            base = _run(base_task, path) if base_task else None
            cells = [label, name, f"{ours['seconds']:.2f} s", f"{ours['peak_mb']:.0f} MB"]
            if base is not None:
                speed = base["seconds"] / max(ours["seconds"], 1e-9)
                cells += [f"{base['seconds']:.2f} s", f"{base['peak_mb']:.0f} MB", f"{speed:.1f}×"]
                big_list = ours["result"] >= 100_000  # a speed-up of microseconds means nothing
                if ours_task == "ids" and big_list and speed < 3:
                    failures.append(f"{label}: ids only {speed:.1f}x faster")
            else:
                cells += ["–", "–", "–"]
            print("| " + " | ".join(cells) + " |")
            if ours_task != "sliced-tweets" and ours["peak_mb"] >= 150:
                failures.append(f"{label} {name}: {ours['peak_mb']:.0f} MB")
            if ours_task == "summary" and ours["seconds"] >= 1:
                failures.append(f"{label} summary: {ours['seconds']:.2f} s")
    if failures:
        print("\nTARGETS MISSED:\n  " + "\n  ".join(failures))
        return 1
    print("\nall targets met (summary < 1 s, ids >= 3x baseline, peak RSS < 150 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
