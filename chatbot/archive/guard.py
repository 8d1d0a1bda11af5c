"""Guards on every read: member sizes, compression ratio, total bytes, zip damage.

A `MemberStream` counts the bytes it decompresses and stops at the first limit it
crosses, whatever the zip headers declared (zip bombs lie about sizes).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from chatbot.archive.model import ArchiveError
from chatbot.config import ArchiveLimits

CHUNK = 1 << 20


class Budget(Protocol):
    """Where a stream reports the bytes it read (the archive-wide total)."""

    limits: ArchiveLimits

    def add_read(self, nbytes: int) -> None: ...


# What a damaged zip makes zipfile raise (struct.error, KeyError... on garbage headers).
READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    struct.error,
    KeyError,
    IndexError,
    OverflowError,
    UnicodeError,
)


def too_big(limit_bytes: int) -> ArchiveError:
    """``too_big`` with its one parameter: the limit in MB (for ``{limit}``)."""
    return ArchiveError("too_big", limit=max(1, round(limit_bytes / 1024**2)))


@dataclass
class Member:
    """One file of the archive: a zip member or a loose file."""

    name: str  # its path inside the archive (or its file name): recorded in files_read
    rel: str  # path relative to the data folder
    size: int  # declared uncompressed size
    compressed: int
    zf: zipfile.ZipFile | None = None
    info: zipfile.ZipInfo | None = None
    path: Path | None = None


class MemberStream:
    """A read-only stream of one member that stops at the first limit it crosses."""

    def __init__(self, raw: IO[bytes], member: Member, source: Budget) -> None:
        self._raw = raw
        self._member = member
        self._source = source
        self._count = 0
        limits = source.limits
        self._max = min(member.size, limits.max_member_uncompressed_bytes)
        self._ratio_from = max(limits.ratio_check_min_bytes, 1)

    def read(self, n: int = CHUNK) -> bytes:
        if n < 0:
            n = CHUNK
        try:
            data = self._raw.read(n)
        except NotImplementedError:
            raise ArchiveError("unsupported") from None
        except RuntimeError:  # zipfile: "File is encrypted, password required"
            raise ArchiveError("encrypted") from None
        except READ_ERRORS:
            raise ArchiveError("truncated") from None
        self._count += len(data)
        limits = self._source.limits
        if self._count > self._max:
            if self._count > limits.max_member_uncompressed_bytes:
                raise too_big(limits.max_member_uncompressed_bytes)
            raise ArchiveError("bomb")
        if self._count >= self._ratio_from and self._count > limits.max_compression_ratio * max(
            self._member.compressed, 1
        ):
            raise ArchiveError("bomb")
        self._source.add_read(len(data))
        return data

    def read_all(self, max_bytes: int, file: str) -> bytes:
        """The whole member; ``too_big`` beyond `max_bytes` (for small files only)."""
        chunks: list[bytes] = []
        total = 0
        while chunk := self.read(CHUNK):
            total += len(chunk)
            if total > max_bytes:
                raise too_big(max_bytes)
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> MemberStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def declared_entries(fp: IO[bytes]) -> int | None:
    """Entry count from the end-of-central-directory record (read before ZipFile does)."""
    fp.seek(0, 2)
    size = fp.tell()
    tail_len = min(size, 65535 + 22 + 20)
    fp.seek(size - tail_len)
    tail = fp.read(tail_len)
    fp.seek(0)
    i = tail.rfind(b"PK\x05\x06")
    if i < 0 or len(tail) < i + 22:
        return None
    entries = int.from_bytes(tail[i + 10 : i + 12], "little")
    if entries == 0xFFFF and i >= 20 and tail[i - 20 : i - 16] == b"PK\x06\x07":
        offset = int.from_bytes(tail[i - 12 : i - 4], "little")
        if offset < size - 56:
            fp.seek(offset)
            record = fp.read(56)
            fp.seek(0)
            if record[:4] == b"PK\x06\x06":
                return int.from_bytes(record[32:40], "little")
    return entries
