"""Size edge cases (§12.3): a 1M-follower list and a 100 MiB tweets part, in bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from .conftest import Make

PEAK_RSS_MB = 150
_PROBE = """
import json, sys, time
from pathlib import Path
from chatbot.archive import read_archive
start = time.perf_counter()
parsed = read_archive([Path(sys.argv[1])], hints=sys.argv[2] == "1")
seconds = time.perf_counter() - start
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "followers": len(parsed.followers),
                  "tweets": parsed.counts.tweets, "handles": len(parsed.handles),
                  "years": sum(parsed.tweets_per_year.values())}))
"""


def _probe(path: object, hints: bool) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path), "1" if hints else "0"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


@pytest.mark.slow
def test_one_million_followers(make_archive: Make) -> None:
    gen = make_archive(
        era="H", tweets=50, followers=1_000_000, following=5000, seed=70, canaries=False
    )
    assert len(gen.follower_parts) == 2  # 1M records of ~150 B: two 100 MiB parts
    result = _probe(gen.path, hints=False)
    assert result["followers"] == 1_000_000
    assert result["peak_mb"] < PEAK_RSS_MB, result
    assert result["seconds"] < 2.5, result  # < 1 s on the reference machine (see bench)


@pytest.mark.slow
def test_one_hundred_mib_tweets_part(make_archive: Make) -> None:
    gen = make_archive(
        era="G",
        tweets_bytes=100 * 1024**2,
        part_size_bytes=200 * 1024**2,
        followers=10,
        following=10,
        seed=71,
        canaries=False,
        with_media_files=False,
    )
    with zipfile.ZipFile(gen.path) as zf:
        assert zf.getinfo("data/tweets.js").file_size >= 100 * 1024**2
    result = _probe(gen.path, hints=True)
    assert result["tweets"] == gen.tweet_records
    assert result["handles"] == len(gen.handles)
    assert result["peak_mb"] < PEAK_RSS_MB, result
    summary = _probe(gen.path, hints=False)
    assert summary["seconds"] < 2.5 and summary["years"] == gen.tweet_records, summary
