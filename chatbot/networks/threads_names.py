"""Threads addresses in any spelling, and what a Threads reader answers. Pure, no I/O.

Threads profiles whose owners turned on "fediverse sharing" are reachable as
``@user@threads.net``. The web domain moved from threads.net to threads.com in 2025: both
spellings are accepted wherever a user or a bio writes one, and normalised to the
fediverse address ``user@threads.net`` (the one Mastodon servers resolve). The client is
`chatbot.networks.threads.ThreadsLookup`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol

THREADS_DOMAIN = "threads.net"  # the fediverse domain of every Threads account
_DOMAINS = r"(?:www\.)?threads\.(?:net|com)"
# Threads takes Instagram's usernames: letters, digits, "." and "_", at most 30
_NAME = r"[A-Za-z0-9._]{1,30}"
_USERNAME = re.compile(rf"^{_NAME}$")
_URL = re.compile(rf"(?:https?://)?{_DOMAINS}/@({_NAME})", re.IGNORECASE)
_ACCT = re.compile(rf"(?<![\w@.])@?({_NAME})@{_DOMAINS}\b", re.IGNORECASE)
TEXT_LIMIT = 5000  # characters of one bio searched for Threads accounts
MAX_IN_TEXT = 5  # Threads accounts taken from one bio


@dataclass(frozen=True)
class ThreadsAccount:
    """A Threads account that answers on the fediverse (its owner opted in)."""

    username: str  # lower-cased
    url: str  # the profile page
    display_name: str | None = None
    note: str | None = None  # the bio, plain text

    @property
    def acct(self) -> str:
        return threads_acct(self.username)


class ThreadsReader(Protocol):
    async def lookup(self, username: str) -> ThreadsAccount | None:
        """The account ``username@threads.net`` when it answers on the fediverse, or None."""


def username_of(value: str) -> str | None:
    """`value` as a Threads username (lower-cased), or None."""
    name = value.strip().rstrip(".").lower()
    if not _USERNAME.match(name) or name.startswith(".") or ".." in name:
        return None
    return name


def threads_username(value: str | None) -> str | None:
    """The lower-cased username of a Threads address in any spelling: ``@user@threads.net``,
    ``user@threads.com``, ``https://www.threads.com/@user`` or ``threads.net/@user``."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if len(text) > 300:
        return None
    for pattern in (_URL, _ACCT):
        match = pattern.fullmatch(text.rstrip("/"))
        if match:
            return username_of(match.group(1))
    return None


def threads_acct(username: str) -> str:
    """The fediverse address of a Threads username (always on threads.net)."""
    return f"{username.lower()}@{THREADS_DOMAIN}"


def is_threads_acct(acct: str | None) -> bool:
    return bool(acct) and threads_username(acct or "") is not None and "@" in (acct or "")


def threads_in_text(text: str | None) -> list[str]:
    """The Threads usernames a bio links (profile URLs) or names (``@user@threads.net``),
    in the order they appear, at most `MAX_IN_TEXT`."""
    text = unicodedata.normalize("NFKC", (text or "")[:TEXT_LIMIT])
    found: dict[str, int] = {}
    for pattern in (_URL, _ACCT):
        for match in pattern.finditer(text):
            name = username_of(match.group(1))
            if name is not None:
                found.setdefault(name, match.start())
    return sorted(found, key=found.__getitem__)[:MAX_IN_TEXT]
