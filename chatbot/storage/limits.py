"""What fits the schema: every stored field is validated or clipped before it is written.

A value too long for its column, or a NUL character in a text column, makes PostgreSQL
raise a data error that would reach the user as an outage, while SQLite stores it (threat
model §4.14). So nothing reaches the database unchecked: X ids are 1 to 19 digits below
2**63, screen names follow X's rule (`chatbot.safetext.X_SCREEN_NAME`), identifiers
(handles, DIDs, accts) are printable, without spaces, and fit 255 characters, or the row is
refused; free text loses its NUL characters and is clipped to its column.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from chatbot.archive.model import ArchiveError, ParsedArchive
from chatbot.matching.model import DirectoryEntry
from chatbot.safetext import clean, x_screen_name

X_ID_MAX = 2**63 - 1
IDENTIFIER_MAX = 255  # handle, did, acct, target columns
DETAIL_MAX = 255  # provenance_detail
USERNAME_MAX = 64  # archives.owner_username, directory x_username, handle_hints.screen_name
ACCOUNT_ID_MAX = 32  # archives.owner_account_id
DISPLAY_NAME_MAX = 200  # a display name far beyond X's 50 is clipped
PROFILE_FIELD_MAX = 1000  # bio, website, location, media URLs
NAMES_KEPT = 100  # previous usernames kept
_X_ID = re.compile(r"[0-9]{1,19}")
_SPACE = re.compile(r"\s")


def valid_x_id(value: int) -> bool:
    return 0 < value <= X_ID_MAX


def x_id_text(value: str | None) -> bool:
    """Whether `value` is an X account id as archives write it: 1 to 19 digits, < 2**63."""
    return bool(value) and _X_ID.fullmatch(value or "") is not None and valid_x_id(int(value or 0))


def identifier(value: str | None) -> bool:
    """Whether `value` can be stored as a handle, DID or acct: whole, printable, no space."""
    return (
        value is not None
        and 0 < len(value) <= IDENTIFIER_MAX
        and value.isprintable()
        and _SPACE.search(value) is None
    )


def fit_entry(entry: DirectoryEntry) -> DirectoryEntry | None:
    """The entry as stored (screen name checked, detail cleaned), or None when an
    identifier cannot be stored whole (a clipped handle would name someone else)."""
    if not valid_x_id(entry.x_id) or not identifier(entry.target):
        return None
    for value in (entry.handle, entry.did, entry.acct):
        if value is not None and value != entry.target and not identifier(value):
            return None
    detail = entry.provenance_detail
    name, fitted = x_screen_name(entry.x_username), clean(detail, DETAIL_MAX) if detail else detail
    if name == entry.x_username and fitted == detail:
        return entry  # the common case, cheap for bulk imports
    return replace(entry, x_username=name, provenance_detail=fitted)


def _clip(value: str | None, limit: int) -> str | None:
    """Free text for a text column: no NUL (PostgreSQL refuses it), at most `limit`."""
    return value.replace("\x00", "")[:limit] if value else value


def fit_archive(parsed: ParsedArchive) -> ParsedArchive:
    """The archive's facts clipped to the schema; an owner id that no X account can have
    makes the archive "damaged" (``ArchiveError("malformed", file="account.js")``)."""
    owner = parsed.owner
    if owner.account_id is not None and not x_id_text(owner.account_id):
        raise ArchiveError("malformed", file="account.js")
    if owner.username is not None and (
        len(owner.username) > USERNAME_MAX or not owner.username.isprintable()
    ):
        raise ArchiveError("malformed", file="account.js")
    previous = [name for name in owner.previous_usernames if x_screen_name(name)][:NAMES_KEPT]
    profile = parsed.profile
    handles = {}
    for x_id, counts in parsed.handles.items():
        names = Counter({name: n for name, n in counts.items() if x_screen_name(name)})
        if names and valid_x_id(x_id):
            handles[x_id] = names
    return replace(
        parsed,
        owner=replace(
            owner,
            display_name=_clip(owner.display_name, DISPLAY_NAME_MAX),
            previous_usernames=previous,
        ),
        profile=replace(
            profile,
            bio=_clip(profile.bio, PROFILE_FIELD_MAX),
            website=_clip(profile.website, PROFILE_FIELD_MAX),
            location=_clip(profile.location, PROFILE_FIELD_MAX),
            avatar_url=_clip(profile.avatar_url, PROFILE_FIELD_MAX),
            header_url=_clip(profile.header_url, PROFILE_FIELD_MAX),
        ),
        handles=handles,
        handles_without_id=Counter(
            {name: n for name, n in parsed.handles_without_id.items() if x_screen_name(name)}
        ),
    )
