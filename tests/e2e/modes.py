"""File modes as the bot leaves them: every path it creates is 0600 (files) or 0700."""

from __future__ import annotations

import stat
from pathlib import Path


def modes(*roots: Path) -> dict[Path, int]:
    """Every path under `roots` (the roots too) with its permission bits."""
    found: dict[Path, int] = {}
    for root in roots:
        for path in [root, *root.rglob("*")]:
            found[path] = stat.S_IMODE(path.lstat().st_mode)
    return found


def not_private(found: dict[Path, int]) -> list[str]:
    """The paths of `found` that other users could read or enter."""
    return [
        f"{oct(mode)} {path}"
        for path, mode in found.items()
        if mode != (0o700 if path.is_dir() else 0o600)
    ]
