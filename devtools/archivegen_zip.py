"""Zip output of the generator: flavours (deflate, store, zip64, streamed data descriptors,
a top folder, ``__MACOSX/`` entries) and buffered streaming writes of data files."""

from __future__ import annotations

import zipfile
from pathlib import Path
from types import TracebackType
from typing import IO, Any

FLAVOURS = frozenset({"deflate", "store", "zip64", "streamed", "top_folder", "macosx"})
APPLEDOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + b"\x00" * 32


class _Unseekable:
    """A write-only file: zipfile then writes data descriptors (flag bit 3)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle

    def write(self, data: bytes) -> int:
        return self._handle.write(data)

    def flush(self) -> None:
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


class MemberWriter:
    """Text writes into one zip member, buffered, with a running byte count."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self._buf: list[str] = []
        self._pending = 0
        self.size = 0

    def write(self, text: str) -> None:
        self._buf.append(text)
        self._pending += len(text)
        if self._pending > 1 << 20:
            self.flush()

    def flush(self) -> None:
        if self._buf:
            data = "".join(self._buf).encode()
            self._handle.write(data)
            self.size += len(data)
            self._buf = []
            self._pending = 0

    def close(self) -> None:
        self.flush()
        self._handle.close()

    def __enter__(self) -> MemberWriter:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class ZipSink:
    """A zip being written, with the chosen flavours applied to every member."""

    def __init__(self, path: Path, flavours: set[str], top: str, compresslevel: int) -> None:
        unknown = flavours - FLAVOURS
        if unknown:
            raise ValueError(f"unknown zip flavours: {sorted(unknown)}")
        self.path = path
        self.flavours = flavours
        self.top = f"{top}/" if "top_folder" in flavours else ""
        self._file = path.open("wb")
        target: Any = _Unseekable(self._file) if "streamed" in flavours else self._file
        method = zipfile.ZIP_STORED if "store" in flavours else zipfile.ZIP_DEFLATED
        self.zf = zipfile.ZipFile(target, "w", compression=method, compresslevel=compresslevel)
        self.names: list[str] = []
        self._macos: list[str] = []

    def open(self, name: str) -> MemberWriter:
        full = self.top + name
        self.names.append(name)
        if "macosx" in self.flavours:
            folder, _, base = full.rpartition("/")
            self._macos.append(f"__MACOSX/{folder + '/' if folder else ''}._{base}")
        info = zipfile.ZipInfo(full, date_time=(2026, 3, 6, 13, 15, 31))
        info.compress_type = self.zf.compression
        info.external_attr = 0o644 << 16
        handle = self.zf.open(info, "w", force_zip64="zip64" in self.flavours)
        return MemberWriter(handle)

    def write_bytes(self, name: str, data: bytes) -> None:
        with self.open(name) as writer:
            writer.flush()
            writer._handle.write(data)
            writer.size = len(data)

    def write_text(self, name: str, text: str) -> None:
        with self.open(name) as writer:
            writer.write(text)

    def close(self) -> None:
        if "macosx" in self.flavours:
            self.zf.writestr(zipfile.ZipInfo("__MACOSX/"), b"")
            for name in self._macos:
                self.zf.writestr(name, APPLEDOUBLE)
            self.zf.writestr(self.top + ".DS_Store", b"\x00\x00\x00\x01Bud1" + b"\x00" * 24)
        self.zf.close()
        self._file.close()
