"""Streaming scans of data files by regular expression (§9.2): ids, counts, header dates.

A data file is never parsed whole to get ids: a byte regex runs over 1 MiB chunks of
the member stream. Each chunk is cut after its last ``}``: no match can contain a
``}``, so no match is split or seen twice. The ``accountId`` key cannot appear inside
a JSON string (quotes there are escaped), so the follow-list scan is exact.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable
from typing import Protocol

from chatbot.archive.idlist import IdCollector
from chatbot.archive.model import ArchiveError
from chatbot.archive.wrapper import HEAD_BYTES, TAIL_STRIP, Header, parse_header

CHUNK = 1 << 20
_MAX_CARRY = 8 * CHUNK  # a run this long without "}" is processed anyway

ACCOUNT_ID = re.compile(rb'"accountId"[ \t\r\n]{0,16}:[ \t\r\n]{0,16}"(\d{1,19})"')
LIKE_ID = re.compile(rb'"tweetId"[ \t\r\n]{0,16}:')
LIST_URL = re.compile(rb'"https?://[^"\s]{1,200}/lists/[^"\s]{1,200}"')
CREATED_AT = re.compile(rb'"created_at"[ \t\r\n]{0,16}:[ \t\r\n]{0,16}"([^"]{1,64})"')
HEADER_ROW = re.compile(
    rb'"tweet_id"[ \t\r\n]{0,16}:[ \t\r\n]{0,16}"(\d{1,20})"[^}]{0,512}?'
    rb'"created_at"[ \t\r\n]{0,16}:[ \t\r\n]{0,16}"([^"]{1,64})"'
)


class Readable(Protocol):
    def read(self, n: int = ..., /) -> bytes: ...


def read_head(stream: Readable) -> bytes:
    """The first chunk, at least `HEAD_BYTES` long unless the file is shorter."""
    buf = stream.read(CHUNK)
    while len(buf) < HEAD_BYTES:
        more = stream.read(CHUNK)
        if not more:
            break
        buf += more
    return buf


def scan(
    stream: Readable,
    file: str,
    pattern: re.Pattern[bytes],
    on_matches: Callable[[list[bytes] | list[tuple[bytes, ...]]], bool | None],
) -> Header:
    """Run `pattern.findall` over the data part of `stream`, chunk by chunk.

    Checks the wrapper (prefix, then a JSON array closed by ``]``): a file cut short or
    not an X data file raises ``malformed``. `on_matches` returns False to stop reading
    (a cap was reached): the rest of the file is then neither read nor checked.
    """
    buf = read_head(stream)
    header = parse_header(buf[:HEAD_BYTES], file)
    buf = buf[header.offset :]
    if not buf.startswith(b"["):
        raise ArchiveError("malformed", file=file)
    tail = b""
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        buf += chunk
        cut = buf.rfind(b"}")
        if cut < 0:
            if len(buf) < _MAX_CARRY:
                continue
            cut = len(buf) - 256
        found = pattern.findall(buf, 0, cut + 1)
        if found and on_matches(found) is False:
            return header
        tail = buf[-64:]
        buf = buf[cut + 1 :]
    found = pattern.findall(buf)
    if found:
        on_matches(found)
    end = (tail + buf).rstrip(TAIL_STRIP)
    if not end.endswith(b"]"):
        raise ArchiveError("malformed", file=file)
    return header


def extract_ids(
    stream: Readable, file: str, into: IdCollector | None = None
) -> tuple[array[int], Header]:
    """The ``accountId`` values of a follower/following/block/mute file, in file order,
    appended to `into` until its cap (no cap without one); returns `into`'s ids."""
    collector = into if into is not None else IdCollector(2**62)

    def add(found: list[bytes] | list[tuple[bytes, ...]]) -> bool:
        return collector.add(found)  # type: ignore[arg-type]

    header = scan(stream, file, ACCOUNT_ID, add)
    return collector.ids, header


def count_matches(stream: Readable, file: str, pattern: re.Pattern[bytes]) -> tuple[int, Header]:
    """How many times `pattern` matches in the data part of a file."""
    total = 0

    def add(found: list[bytes] | list[tuple[bytes, ...]]) -> None:
        nonlocal total
        total += len(found)

    header = scan(stream, file, pattern, add)
    return total, header
