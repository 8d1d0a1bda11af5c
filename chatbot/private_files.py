"""What the bot writes to disk is private: files 0600, folders 0700, whatever the umask.

The data folder holds the database (archive facts, block and mute lists), uploads while
they are read, profile pictures, prepared posts, exports, the Matrix session and crypto
store, and the webhook secret. Another local user must read none of it (threat model
§4.13). Three layers:

* `restrict_umask` at process start (``chatbot run``, ``console``, ``worker``): every file
  and folder the process and its libraries create is owner-only, SQLite's ``-wal``,
  ``-shm`` and ``-journal`` files and nio's store included;
* the places created before any library touches them are made 0700 / 0600 explicitly
  (`private_dir`, `private_file`), for code run without the command (tests, embedding);
* `tighten` repairs, at start-up, the modes an earlier version left on the bot's own files.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
# what the bot creates in its data folder: only these are repaired (the folder may be
# shared with other things an operator keeps there)
BOT_ENTRIES = (
    "chatbot.sqlite3",
    "chatbot.sqlite3-wal",
    "chatbot.sqlite3-shm",
    "chatbot.sqlite3-journal",
    "uploads",
    "console-files",
    "matrix",
    "profiles",
    "posts",
    "exports",
    "telegram-webhook.secret",
)
TIGHTEN_LIMIT = 200_000  # entries visited at start-up at most (a bound on the walk)


def restrict_umask() -> None:
    """Owner-only modes for everything this process creates from now on."""
    os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """`path` (and missing parents) as a folder only its owner can enter: 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    _chmod(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty with mode 0600 if it does not exist; make it 0600 if it does."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    _chmod(path, 0o600)
    return path


def tighten(data_dir: Path, extra: Iterable[Path] = ()) -> int:
    """Make the bot's own files 0600 and folders 0700; return how many were changed."""
    roots = [data_dir / name for name in BOT_ENTRIES] + list(extra)
    changed = _fix(data_dir)
    visited = 0
    for root in roots:
        if not root.exists() or root.is_symlink():
            continue
        changed += _fix(root)
        for folder, dirs, files in os.walk(root):
            for name in (*dirs, *files):
                visited += 1
                if visited > TIGHTEN_LIMIT:
                    log.warning("file modes: stopped after %d entries", TIGHTEN_LIMIT)
                    return changed
                changed += _fix(Path(folder) / name)
    if changed:
        log.warning("SECURITY: made %d of the bot's files and folders private (0600/0700)",
                    changed)  # fmt: skip
    return changed


def _fix(path: Path) -> int:
    try:
        info = path.lstat()
    except OSError:
        return 0
    if stat.S_ISLNK(info.st_mode) or not stat.S_IMODE(info.st_mode) & 0o077:
        return 0
    wanted = 0o700 if stat.S_ISDIR(info.st_mode) else stat.S_IMODE(info.st_mode) & 0o700
    return 1 if _chmod(path, wanted) else 0


def _chmod(path: Path, mode: int) -> bool:
    try:
        if stat.S_IMODE(path.stat().st_mode) != mode:
            path.chmod(mode)
            return True
    except OSError as exc:  # not the owner (a mounted volume): say so, go on
        log.warning("file modes: cannot make %s private (%s)", path, exc.strerror or exc)
    return False
