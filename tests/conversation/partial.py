"""Synthetic archives of the shapes real users send (issue 14): whole, slimmed, old, loose."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from devtools.archivegen import ArchiveSpec, Generated, generate

Edit = Callable[[str, bytes], bytes]


def make(
    folder: Path,
    era: str = "H",
    *,
    drop: Iterable[str] = (),
    edit: dict[str, Edit] | None = None,
    name: str = "twitter.zip",
    **spec: object,
) -> tuple[Path, Generated]:
    """A generated archive without the data files named in `drop` (``"tweets.js"`` drops
    ``data/tweets.js`` or a root ``tweets.js``), with `edit` applied to the named ones."""
    values: dict[str, object] = {"tweets": 30, "followers": 12, "following": 15, "seed": 3,
                                 "with_media_files": False, "assets": "none"}  # fmt: skip
    values.update(spec)
    gen = generate(ArchiveSpec(era=era, **values), folder / f"full-{name}")  # type: ignore[arg-type]
    dropped, edits = set(drop), edit or {}
    out = folder / name
    with zipfile.ZipFile(gen.path) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            base = info.filename.rpartition("/")[2]
            if base in dropped:
                continue
            data = zin.read(info)
            if base in edits:
                data = edits[base](info.filename, data)
            zout.writestr(info.filename, data)
    gen.path.unlink()
    return out, gen


def loose(folder: Path, era: str = "H", names: Iterable[str] = (), **spec: object) -> list[Path]:
    """Single data files taken out of a generated archive, as a user sends them."""
    archive, _ = make(folder, era, name="for-loose.zip", **spec)
    paths = []
    with zipfile.ZipFile(archive) as zin:
        members = {info.filename.rpartition("/")[2]: info for info in zin.infolist()}
        for name in names:
            path = folder / name
            path.write_bytes(zin.read(members[name]))
            paths.append(path)
    return paths


def epoch_created_at(_: str, data: bytes) -> bytes:
    """account.js as some 2018 archives wrote it: createdAt in epoch milliseconds."""
    return re.sub(rb'"createdAt" : "[^"]+"', b'"createdAt" : "1346793019000"', data)
