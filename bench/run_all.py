"""Run every benchmark in this folder (`make bench`); pass --quick for a smoke run.

The load benchmark (`bench_load.py`, several minutes, needs PostgreSQL and Redis on
127.0.0.1) runs only with --load.

Usage:
    .venv/bin/python bench/run_all.py [--quick] [--load]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    args = [a for a in sys.argv[1:] if a != "--load"]
    skipped = {"bench_load.py"} if "--load" not in sys.argv[1:] else set()
    failed = 0
    for script in sorted(here.glob("bench_*.py")):
        if script.name in skipped:  # opt-in
            continue
        print(f"\n### {script.name}\n", flush=True)
        result = subprocess.run([sys.executable, str(script), *args], check=False)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
