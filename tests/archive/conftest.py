"""Fixtures of the archive tests: synthetic archives (cached per session) and helpers."""

from __future__ import annotations

import pickle
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from chatbot.archive import ParsedArchive
from devtools.archivegen import ArchiveSpec, Generated, generate

SAMPLES = Path(__file__).resolve().parent / "samples"
MILAHU = SAMPLES / "milahu-twitter-milahu104-2026"
DOGSHEEP = SAMPLES / "dogsheep-twitter-to-sqlite-2019"

Make = Callable[..., Generated]


def as_read(ids: Iterable[int]) -> list[int]:
    """A follow list as the reader keeps it: sorted, without duplicates."""
    return sorted(set(ids))


@pytest.fixture(scope="session")
def archive_cache(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Generated]:
    return {}


@pytest.fixture(scope="session")
def make_archive(
    tmp_path_factory: pytest.TempPathFactory, archive_cache: dict[str, Generated]
) -> Make:
    """make_archive(era="H", followers=10, ...) -> Generated (same spec: same file)."""
    folder = tmp_path_factory.mktemp("archives")

    def make(**kwargs: Any) -> Generated:
        spec = ArchiveSpec(**kwargs)
        key = repr(sorted(kwargs.items()))
        if key not in archive_cache:
            archive_cache[key] = generate(spec, folder / f"a{len(archive_cache)}.zip")
        return archive_cache[key]

    return make


def extract(gen: Generated, dest: Path, *names: str) -> list[Path]:
    """Copy members of a generated zip to loose files (by name relative to the data root)."""
    out: dict[str, Path] = {}
    with zipfile.ZipFile(gen.path) as zf:
        for info in zf.infolist():
            rel = info.filename.split("data/", 1)[-1]
            if rel in names:
                out[rel] = dest / rel
                out[rel].write_bytes(zf.read(info))
    assert len(out) == len(names), (names, out)
    return [out[name] for name in names]


def pickled_text(parsed: ParsedArchive) -> str:
    """Everything a ParsedArchive holds, as text, for canary searches."""
    return pickle.dumps(parsed).decode("latin-1") + repr(parsed)


def rewrite_zip(
    src: Path,
    dest: Path,
    edit: Callable[[str, bytes], tuple[str, bytes] | None],
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """Copy a zip, passing each member through `edit` (None drops it)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", compression) as zout:
        for info in zin.infolist():
            result = edit(info.filename, zin.read(info))
            if result is not None:
                zout.writestr(result[0], result[1])
    return dest
