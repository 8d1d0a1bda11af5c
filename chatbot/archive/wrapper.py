"""The wrapper around X data files: ``window.YTD.<var>.part<N> = <JSON>`` (§3 of the spec).

Also accepted: ``window.__THAR_CONFIG = {...}`` (manifest.js), the classic
``Grailbird.data.tweets_YYYY_MM =`` and ``var tweet_index =`` prefixes, plain JSON, a UTF-8
BOM, CRLF line ends, and a trailing ``;`` or whitespace. Files are never evaluated, and the
prefix is found with an anchored pattern (never ``split('=')``: ``userLink`` holds ``=``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from chatbot.archive.model import ArchiveError

BOM = b"\xef\xbb\xbf"
HEAD_BYTES = 512  # the prefix always sits in the first line, well within this
TAIL_STRIP = b" \t\r\n;\x00"

_PREFIX = re.compile(
    rb"[ \t\r\n]*(?:"
    rb"(?:window\.)?YTD\.(?P<var>[A-Za-z0-9_]{1,64})\.part(?P<part>\d{1,6})"
    rb"|(?P<thar>(?:window\.)?__THAR_CONFIG)"
    rb"|Grailbird\.data\.(?P<grail>[A-Za-z0-9_]{1,64})"
    rb"|var[ \t]+(?P<classic>[A-Za-z_][A-Za-z0-9_]{0,63})"
    rb")[ \t]*=[ \t\r\n]*"
)
_JSON_START = re.compile(rb"[ \t\r\n]*[\[{]")

Kind = Literal["ytd", "manifest", "grailbird", "classic", "json"]


@dataclass(frozen=True)
class Header:
    """What the first bytes of a data file say about it."""

    kind: Kind
    var: str | None  # YTD variable (``tweets``, ``note_tweet``) or classic name
    part: int | None  # the ``partN`` number of YTD files
    offset: int  # index of the first byte of the JSON value

    @property
    def data_type(self) -> str | None:
        """The kebab-case file base of a YTD file (``note_tweet`` -> ``note-tweet``)."""
        return self.var.replace("_", "-") if self.kind == "ytd" and self.var else None


def parse_header(head: bytes, file: str) -> Header:
    """Parse the prefix at the start of `head`; raise ``malformed`` if there is none."""
    start = len(BOM) if head.startswith(BOM) else 0
    match = _PREFIX.match(head, start)
    if match is not None:
        end = match.end()
        if match.group("var") is not None:
            return Header("ytd", match.group("var").decode(), int(match.group("part")), end)
        if match.group("thar") is not None:
            return Header("manifest", None, None, end)
        if match.group("grail") is not None:
            return Header("grailbird", match.group("grail").decode(), None, end)
        return Header("classic", match.group("classic").decode(), None, end)
    plain = _JSON_START.match(head, start)
    if plain is not None:
        return Header("json", None, None, plain.end() - 1)
    raise ArchiveError("malformed", file=file)


def looks_like_data_file(head: bytes) -> bool:
    """True when `head` starts with a known X data-file prefix (not plain JSON)."""
    try:
        return parse_header(head, "").kind != "json"
    except ArchiveError:
        return False


def strip_tail(payload: bytes | memoryview) -> bytes:
    """The JSON value without trailing whitespace or ``;`` (added by tools and users)."""
    return bytes(payload).rstrip(TAIL_STRIP)


def loads(data: bytes, file: str) -> tuple[Header, Any]:
    """Parse a whole (small) data file: its header and its JSON value."""
    header = parse_header(data[:HEAD_BYTES], file)
    payload = strip_tail(memoryview(data)[header.offset :])
    if not payload:
        raise ArchiveError("malformed", file=file)
    try:
        return header, orjson.loads(payload)
    except (orjson.JSONDecodeError, ValueError, RecursionError):
        raise ArchiveError("malformed", file=file) from None


def loads_records(data: bytes, file: str) -> list[Any]:
    """Parse a small data file whose value must be a JSON array."""
    _, value = loads(data, file)
    if not isinstance(value, list):
        raise ArchiveError("malformed", file=file)
    return value


def unwrap(record: Any) -> dict[str, Any]:
    """The inner object of a record (``{"follower": {...}}`` -> ``{...}``), or {}.

    Unwrapped 2018-2019 tweets (no single wrapper key) are returned as they are.
    """
    if not isinstance(record, dict):
        return {}
    if len(record) == 1:
        inner = next(iter(record.values()))
        if isinstance(inner, dict):
            return inner
    return record
