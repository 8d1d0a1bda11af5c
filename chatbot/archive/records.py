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
        yield from _ijson_records(stream, buf, file)
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
        return out  # never more than n bytes: the C backend copies into an n-byte buffer


def _ijson_records(stream: Readable, head: bytes, file: str) -> Iterator[Any]:
    try:
        yield from _IJSON.items(_Joined(head, stream), "item", use_float=True)
    except ArchiveError:
        raise
    except Exception:  # ijson raises several error types (IncompleteJSONError, ...)
        raise ArchiveError("malformed", file=file) from None
