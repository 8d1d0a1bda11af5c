"""Where the Matrix sync stands, kept across restarts, encrypted or not.

matrix-nio saves the sync token only in its crypto store, which exists only with
end-to-end encryption. Without it, every start used to begin with an initial sync, and
Synapse answers an initial sync that repeats one made in the last two minutes (same
user, device, filter and timeout: ``caches.sync_response_cache_duration``) from its
response cache: the restarted bot then continued from the *previous* start's position,
replayed every event since (commands answered twice, an organisation renamed again,
greetings repeated) and, when that old position predated its joins, never learned when
it had joined its rooms and ignored everything said in them.

So the position lives in ``sync.token`` (mode 0600) next to the session, in both modes
(then the catch-up request names it, and no earlier request matches), and the catch-up
sync of a start carries a timeout of its own, so that even without a saved position a
cached answer is unlikely to match (Synapse answers a ``full_state`` sync at once,
whatever the timeout).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TOKEN_FILE = "sync.token"
_TOKEN = re.compile(r"[\x21-\x7e]{1,1024}")  # an opaque token: visible ASCII, bounded


class SyncPosition:
    """The last sync token, read at start and written after each sync that moved it."""

    def __init__(self, store: Path) -> None:
        self.path = store / TOKEN_FILE
        self._saved = ""

    def load(self) -> str:
        try:
            token = self.path.read_text("ascii").strip()
        except FileNotFoundError:
            return ""
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("matrix: ignoring an unreadable %s (%s)", self.path, type(exc).__name__)
            return ""
        if not _TOKEN.fullmatch(token):
            log.warning("matrix: ignoring a malformed %s", self.path)
            return ""
        self._saved = token
        return token

    def save(self, token: str | None) -> None:
        """Remember `token` (atomically; a failure is logged, the bot goes on)."""
        if not token or token == self._saved or not _TOKEN.fullmatch(token):
            return
        temporary = self.path.with_name(f".{TOKEN_FILE}.tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(token)
            temporary.replace(self.path)
        except OSError as exc:
            log.warning("matrix: could not save the sync position (%s)", type(exc).__name__)
            with contextlib.suppress(OSError):
                temporary.unlink()
            return
        self._saved = token


def catch_up_timeout_ms() -> int:
    """A timeout (ms) that makes this start's catch-up sync unlike the previous start's
    request (one in a thousand alike), and that costs at most a second on a homeserver
    that would wait even for a ``full_state`` sync."""
    return 1 + time.time_ns() // 1_000_000 % 1000


def newest_event_times(rooms: dict[str, Any]) -> dict[str, int]:
    """The newest event time (ms, homeserver clock) per room of a sync's joined rooms."""
    newest: dict[str, int] = {}
    for room_id, info in rooms.items():
        times = [
            stamp
            for event in getattr(getattr(info, "timeline", None), "events", None) or ()
            if isinstance(stamp := getattr(event, "server_timestamp", None), int)
        ]
        newest[room_id] = max(times, default=0)
    return newest
