"""Hostile archives for the memory tests: follow lists of 100,000,000 ids in a 10 MB zip.

    python -m devtools.archivegen_flood OUT.zip [--ids 100000001] [--parts 2]

Threat model §4.4: follow lists compress extremely well. Each part is legal JSON,
``window.YTD.follower.partN = [{"accountId":"7"},{"accountId":"7"},...]`` (18 bytes a
record), salted with one random id every `every` records so that deflate stays under
the reader's 200:1 ratio guard (~167:1 with the default). Written as a stream, one block
of records at a time: generating 100,000,000 ids takes seconds and a few MB of memory.
With ``--distinct`` every id differs: the most distinct ids a zip of a given size holds.
"""

from __future__ import annotations

import argparse
import random
import sys
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

BLOCK_RECORDS = 32_768
BLOCKS = 64  # distinct pre-rendered blocks, written in a random order
_PLAIN = b'{"accountId":"7"},'
USERNAME = "flood_owner"
DISPLAY_NAME = "Flood Owner"
ACCOUNT_ID = "1234567890123"


@dataclass(frozen=True)
class Flood:
    path: Path
    ids: int  # records written, over every part
    parts: int
    uncompressed: int  # bytes of the follower files


def _block(rng: random.Random, every: int) -> bytes:
    records = []
    for n in range(BLOCK_RECORDS):
        if n % every == 0:
            value = rng.randrange(1, 10 ** rng.randrange(2, 19))
            records.append(f'{{"accountId":"{value}"}},')
        else:
            records.append('{"accountId":"7"},')
    return "".join(records).encode()


def _account() -> bytes:
    return (
        b'window.YTD.account.part0 = [{"account":{"accountId":"' + ACCOUNT_ID.encode() + b'",'
        b'"username":"' + USERNAME.encode() + b'","accountDisplayName":"'
        + DISPLAY_NAME.encode() + b'","createdAt":"2012-04-01T10:00:00.000Z"}}]'
    )  # fmt: skip


def _distinct(start: int, count: int) -> Iterator[bytes]:
    """Records of consecutive ids from 10**15 + `start`: no two alike (deflate ~14:1)."""
    base = 10**15 + start
    for first in range(0, count, BLOCK_RECORDS):
        stop = min(count, first + BLOCK_RECORDS)
        yield "".join(f'{{"accountId":"{base + n}"}},' for n in range(first, stop)).encode()


def flood_zip(
    out: Path,
    *,
    ids: int = 100_000_001,
    parts: int = 1,
    every: int = 128,
    seed: int = 11,
    distinct: bool = False,
) -> Flood:
    """Write the flood zip: `ids` follower records spread over `parts` follower files;
    `distinct`: every id different (a 10 MB zip then holds ~4,400,000 of them)."""
    rng = random.Random(seed)
    blocks = [_block(rng, every) for _ in range(BLOCKS)]
    total = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.writestr("data/account.js", _account())
        per_part = -(-ids // parts)
        left = ids
        for part in range(parts):
            name = "data/follower.js" if part == 0 else f"data/follower-part{part}.js"
            count = min(per_part, left)
            left -= count
            with zf.open(name, "w", force_zip64=True) as member:
                head = f"window.YTD.follower.part{part} = [".encode()
                member.write(head)
                size = len(head)
                written = 0
                if distinct:
                    for chunk in _distinct(ids - left - count, count - 1):
                        member.write(chunk)
                        size += len(chunk)
                while not distinct and written < count - 1:
                    take = min(BLOCK_RECORDS, count - 1 - written)
                    chunk = rng.choice(blocks) if take == BLOCK_RECORDS else _PLAIN * take
                    member.write(chunk)
                    size += len(chunk)
                    written += take
                tail = b'{"accountId":"7"}]' if count else b"]"
                member.write(tail)
                size += len(tail)
            total += size
    return Flood(out, ids, parts, total)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--ids", type=int, default=100_000_001)
    parser.add_argument("--parts", type=int, default=1)
    parser.add_argument("--every", type=int, default=128)
    parser.add_argument("--distinct", action="store_true", help="every id different")
    args = parser.parse_args(argv)
    flood = flood_zip(
        args.out, ids=args.ids, parts=args.parts, every=args.every, distinct=args.distinct
    )
    size = flood.path.stat().st_size
    print(
        f"{flood.path}: {flood.ids:,} ids in {flood.parts} part(s), "
        f"{flood.uncompressed / 1e6:,.0f} MB of JSON in a {size / 1e6:,.1f} MB zip "
        f"(ratio {flood.uncompressed / size:,.0f}:1)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
