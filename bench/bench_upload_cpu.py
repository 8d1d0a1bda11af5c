"""Exodus day (issue 13 §5): CPU seconds per small upload, this branch beside today's code.

    .venv/bin/python bench/bench_upload_cpu.py [--uploads 40] [--database DB] [--quick]

Each code tree runs in its own process (`python -c` with that tree first on PYTHONPATH):
the real `Services` (the parser pool in processes, offline matching), the real
`Dispatcher` and handlers, a `RecordingPlatform` whose download copies the file; distinct
users each send a generated archive (era H, 200 posts, 300 followers, 400 following,
~95 KB, the load benchmark's), and the bench waits for everything the upload started
(summary, chart, names, matching). Two warm-up uploads start the parser processes;
then the CPU (user + system) of the bot process and of every process under it is read
from /proc 20 times a second and summed over `--uploads` uploads. A profile of the
bot process (cProfile) is written with `--profile FILE`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from load_setup import PG_ADMIN, archive_paths
from scale_setup import OURS, Tree, baseline_tree

WORKER = r"""
import asyncio, json, os, resource, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from scale_setup import TreeSampler

async def main(files, database, profile):
    from chatbot.config import Settings
    from chatbot.conversation import Dispatcher
    from chatbot.platforms.base import (Attachment, ChatRef, IncomingMessage,
                                        RecordingPlatform, UserRef)
    from chatbot.services import Services
    from handlers import build_registry

    data = Path(tempfile.mkdtemp(prefix="bench-cpu-"))
    extra = {"database_url": database} if database else {}
    settings = Settings(_env_file=None, data_dir=data, matching_offline=True, **extra)
    services = await Services.start(settings)
    dispatcher = Dispatcher(services, build_registry())
    platform = RecordingPlatform(name="telegram")

    async def upload(n, path):
        user = UserRef("telegram", f"u{n}")
        chat = ChatRef("telegram", f"dm{n}", is_private=True)
        file = Attachment(str(path), path.name, path.stat().st_size)
        message = IncomingMessage(chat, user, "1", attachment=file)
        await dispatcher.handle(platform, message)
        await services.jobs.idle()

    warm, files = files[:2], files[2:]
    for n, path in enumerate(warm):  # the parser processes start, the handlers are imported
        await upload(10_000 + n, path)
    sampler = TreeSampler(os.getpid(), hz=20)
    sampler.sample()
    before = dict(sampler.cpu)
    started = time.perf_counter()
    if profile:
        import cProfile
        profiler = cProfile.Profile()
        profiler.enable()
    with sampler:
        for n, path in enumerate(files):
            await upload(n, path)
    if profile:
        profiler.disable()
        profiler.dump_stats(profile)
    sampler.sample()
    wall = time.perf_counter() - started
    main_cpu = sampler.cpu[os.getpid()] - before.get(os.getpid(), 0.0)
    children = sum(c - before.get(pid, 0.0) for pid, c in sampler.cpu.items()
                   if pid != os.getpid())
    from chatbot.i18n import translator
    en = translator("en")
    bad = (en("error.internal", reference="-").split("-")[0], en("match.found.failed"))
    errors = [t for t in platform.texts() if any(b in t for b in bad)]
    await services.close()
    print(json.dumps({"uploads": len(files), "wall": wall, "main": main_cpu,
                      "children": children, "errors": len(errors), "replies": len(platform.sent)}))

if __name__ == "__main__":
    files = [Path(p) for p in json.loads(sys.argv[2])]
    asyncio.run(main(files, sys.argv[3] or None, sys.argv[4] or None))
"""


async def _admin(sql: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    connection = await asyncpg.connect(PG_ADMIN)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextlib.contextmanager
def database(kind: str, name: str) -> Iterator[str]:
    """ "" for SQLite (in the data folder), else a fresh PostgreSQL database's URL."""
    if kind == "sqlite":
        yield ""
        return
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def measure(tree: Tree, files: list[Path], db: str, profile: str) -> dict[str, float]:
    with database(db, "bench_cpu") as url:
        done = subprocess.run(
            [sys.executable, "-c", WORKER, str(Path(__file__).parent),
             json.dumps([str(p) for p in files]), str(url), profile],
            env=tree.env(CHATBOT_LOG_LEVEL="WARNING"), cwd=tree.root, capture_output=True,
            text=True, check=True,
        )  # fmt: skip
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="8 uploads, SQLite only")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), action="append")
    parser.add_argument("--baseline", default=None, help="commit of today's code")
    parser.add_argument("--profile", default="", help="cProfile file of this branch's run")
    args = parser.parse_args()
    if args.quick:
        args.uploads, args.database = 8, ["sqlite"]
    files = archive_paths(args.uploads + 2)
    rows = []
    with baseline_tree(*filter(None, [args.baseline])) as base:
        for db in args.database or ["sqlite", "postgresql"]:
            for tree in (OURS, base):
                profile = args.profile if tree is OURS and db == "sqlite" else ""
                rows.append((db, tree.label, measure(tree, files, db, profile)))
    print(
        "| database | code | uploads | CPU per upload: bot process | parser processes "
        "| total | wall per upload | errors |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    totals: dict[str, dict[str, float]] = {}
    for db, label, r in rows:
        n = r["uploads"]
        total = (r["main"] + r["children"]) / n
        totals.setdefault(db, {})[label] = total
        print(f"| {db} | {label} | {n:.0f} | {r['main'] / n:.3f} s | {r['children'] / n:.3f} s "
              f"| **{total:.3f} s** | {r['wall'] / n:.3f} s | {r['errors']:.0f} |")  # fmt: skip
    for db, by_tree in totals.items():
        ours, theirs = by_tree[OURS.label], next(v for k, v in by_tree.items() if k != OURS.label)
        print(f"\n{db}: {theirs / ours:.2f}x less CPU per upload than today's code")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
