"""Stream the records of a data file (a JSON array) without loading the whole file.

X writes pretty-printed JSON, so a raw newline never occurs inside a string and the
separator between two top-level records is fixed by the layout:
``\\n  },\\n  {`` (layout 2022: the indent of the first element) or ``\\n}, {``
(layout 2019). The stream is cut at the last separator of each ~1 MiB window and the
batch is parsed by orjson. Other layouts (minified, re-indented by a tool) go through
ijson's C backend. Memory stays at a few MiB whatever the file size.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import ijson
import orjson

from chatbot.archive.follows import CHUNK, Readable, read_head
from chatbot.archive.model import ArchiveError
from chatbot.archive.wrapper import HEAD_BYTES, TAIL_STRIP, Header, parse_header

try:
    _IJSON = ijson.get_backend("yajl2_c")
except Exception:  # no compiled backend: the pure-Python one still works
    _IJSON = ijson
_INDENT = re.compile(rb"\[((?:\r?\n)[ \t]*)\{")
MAX_DEPTH = 256  # nesting of one record (X's records nest about 8 deep; orjson stops at 1024)


def iter_records(stream: Readable, file: str, max_record_bytes: int = 8 << 20) -> Iterator[Any]:
    """Yield each element of the file's top-level array; raise ``malformed`` on bad JSON."""
    buf = read_head(stream)
    header = parse_header(buf[:HEAD_BYTES], file)
    yield from records_after_header(stream, header, buf, file, max_record_bytes)


def records_after_header(
    stream: Readable, header: Header, buf: bytes, file: str, max_record_bytes: int
) -> Iterator[Any]:
    buf = buf[header.offset :]
    if not buf.startswith(b"["):
        raise ArchiveError("malformed", file=file)
    stripped = buf[1:].lstrip()
    if stripped.startswith(b"]"):
        rest = stripped[1:] + stream.read(CHUNK)
        if rest.strip(TAIL_STRIP):
            raise ArchiveError("malformed", file=file)
        return
    sep = _separator(buf)
    if sep is None:
        yield from _ijson_records(stream, buf, file, max_record_bytes)
        return
    close = sep.index(b"}") + 1
    reopen = sep.rindex(b"{")
    buf = buf[len(buf) - len(buf[1:].lstrip()) :]  # from the first "{"
    while True:
        chunk = stream.read(CHUNK)
        if chunk:
            buf += chunk
            cut = buf.rfind(sep)
            if cut < 0:
                if len(buf) > max_record_bytes:
                    raise ArchiveError("malformed", file=file)
                continue
            yield from _parse_batch(buf[: cut + close], file)
            buf = buf[cut + reopen :]
            continue
        body = buf.rstrip(TAIL_STRIP)
        if not body.endswith(b"]"):
            raise ArchiveError("malformed", file=file)
        yield from _parse_batch(body[:-1], file)
        return


def _separator(buf: bytes) -> bytes | None:
    match = _INDENT.match(buf)
    if match is not None:
        indent = match.group(1)
        return indent + b"}," + indent + b"{"
    if buf.startswith(b"[ {\r\n"):
        return b"\r\n}, {"
    if buf.startswith(b"[ {\n"):
        return b"\n}, {"
    return None


def _parse_batch(body: bytes, file: str) -> list[Any]:
    try:
        value = orjson.loads(b"[" + body + b"]")
    except (orjson.JSONDecodeError, ValueError, RecursionError):
        raise ArchiveError("malformed", file=file) from None
    if not isinstance(value, list):  # pragma: no cover - "[...]" always gives a list
        raise ArchiveError("malformed", file=file)
    return value


class _Joined:
    """`head` then the rest of `stream`, without a trailing ``;`` (for ijson)."""

    _HOLD = 64

    def __init__(self, head: bytes, stream: Readable) -> None:
        self._pending = head
        self._stream = stream
        self._eof = False
        self.consumed = 0  # bytes handed out so far

    def read(self, n: int = CHUNK) -> bytes:
        while not self._eof and len(self._pending) <= self._HOLD:
            chunk = self._stream.read(max(n, CHUNK))
            if not chunk:
                self._eof = True
            self._pending += chunk
        if self._eof:
            self._pending = self._pending.rstrip(TAIL_STRIP)
            size = len(self._pending) if n < 0 else n
        else:
            size = (
                len(self._pending) - self._HOLD
                if n < 0
                else min(n, len(self._pending) - self._HOLD)
            )
        out, self._pending = self._pending[:size], self._pending[size:]
        self.consumed += len(out)
        return out  # never more than n bytes: the C backend copies into an n-byte buffer


def _ijson_records(
    stream: Readable, head: bytes, file: str, max_record_bytes: int
) -> Iterator[Any]:
    """Records of a file in another layout, built from ijson's events (not `ijson.items`:
    its dotted prefixes grow with the depth, and 50,000 nested ``[`` took 6 GB)."""
    joined = _Joined(head, stream)
    try:
        events = _IJSON.basic_parse(joined, use_float=True)
        yield from _build_records(events, joined, file, max_record_bytes)
    except ArchiveError:
        raise
    except Exception:  # ijson raises several error types (IncompleteJSONError, ...)
        raise ArchiveError("malformed", file=file) from None


def _build_records(
    events: Iterator[tuple[str, Any]], joined: _Joined, file: str, max_record_bytes: int
) -> Iterator[Any]:
    """The elements of the top-level array, at most `MAX_DEPTH` deep and about
    `max_record_bytes` long (checked when a container opens)."""
    first = next(events, None)
    if first is None or first[0] != "start_array":
        raise ArchiveError("malformed", file=file)
    stack: list[Any] = [None]  # the open containers; the top-level array is never built
    keys: list[Any] = [None]  # the pending key of each open object, None in arrays
    record_start = 0
    for event, value in events:
        if event == "map_key":
            keys[-1] = value
            continue
        if event == "start_map" or event == "start_array":
            depth = len(stack)
            if depth == 1:
                record_start = joined.consumed
            elif depth > MAX_DEPTH or joined.consumed - record_start > max_record_bytes + CHUNK:
                raise ArchiveError("malformed", file=file)
            stack.append({} if event == "start_map" else [])
            keys.append(None)
            continue
        if event == "end_map" or event == "end_array":
            value = stack.pop()
            keys.pop()
            if not stack:  # the top-level array closed: nothing may follow
                if next(events, None) is not None:
                    raise ArchiveError("malformed", file=file)
                return
        if len(stack) == 1:
            yield value
        elif (key := keys[-1]) is None:
            stack[-1].append(value)
        else:
            stack[-1][key] = value
    raise ArchiveError("malformed", file=file)
