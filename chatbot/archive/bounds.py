"""What an archive may say about its owner, bounded by X's own rules (threat model §4.4, §7).

An archive is unsigned JSON: a forged one can carry a 1,200,000-character display name,
a username with a newline or an account id of 5,000 digits. Here, at parse time, ids
must be decimal strings of at most 19 digits, usernames must follow X's rule (letters,
digits and ``_``, at most 15: `chatbot.safetext.is_x_screen_name`), and free texts are
clipped a little above X's own limits, so no later step (summary, chart, storage,
matching) ever works on more. The owner's own text keeps its characters: it is only
cut; text shown to other people is cleaned where it is shown (`chatbot.safetext`).
"""

from __future__ import annotations

import datetime as dt

from chatbot.archive.model import ArchiveError, Owner, Profile
from chatbot.safetext import is_x_screen_name

NAME_CHARS = 64  # X allows 50 characters in a display name
BIO_CHARS = 640  # X allows 160
LOCATION_CHARS = 120  # X allows 30
URL_CHARS = 512
MAX_PREVIOUS_NAMES = 50  # screen-name-change.js: one entry per rename
MAX_COUNT = 10**10  # a manifest count beyond this is not a count (X has ~600M accounts)
FIRST_YEAR = 2006  # X's first post: no archive has older ones

W_CLIPPED = "archive.warning.clipped_text"


def clip(value: str | None, limit: int) -> tuple[str | None, bool]:
    """`value` cut to `limit` characters, and whether it was cut."""
    if value is None or len(value) <= limit:
        return value, False
    return value[:limit], True


def account_id(value: object) -> str | None:
    """A decimal X id of at most 19 digits (below 2**63), else None."""
    if not isinstance(value, str) or not 0 < len(value) <= 19 or not value.isascii():
        return None
    return value if value.isdigit() and int(value) < 2**63 else None


def screen_name(value: object) -> str | None:
    """`value` when it can be an X username (without ``@``), else None."""
    return value if isinstance(value, str) and is_x_screen_name(value) else None


def plausible_year(year: int) -> bool:
    """A year an X post can be from (forged dates would stretch the chart over millennia)."""
    return FIRST_YEAR <= year <= dt.datetime.now(dt.UTC).year + 1


def count(value: object) -> int | None:
    """A record count from manifest.js, or None when it is not a plausible number."""
    text = str(value)
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        return None
    number = int(text)
    return number if number <= MAX_COUNT else None


def bound_owner(owner: Owner, file: str = "account.js") -> list[str]:
    """Validate and clip the owner in place; the warnings (locale keys) that apply.

    An id or a username that no X account can have is not a detail to clip: the file
    that carries it is damaged or forged, and the user is told so (`ArchiveError`).
    """
    warnings = []
    if owner.account_id is not None and account_id(owner.account_id) is None:
        raise ArchiveError("malformed", file=file)
    if owner.username is not None and screen_name(owner.username) is None:
        raise ArchiveError("malformed", file=file)
    owner.display_name, cut = clip(owner.display_name, NAME_CHARS)
    names = [n for n in owner.previous_usernames if screen_name(n) is not None]
    owner.previous_usernames = names[:MAX_PREVIOUS_NAMES]
    if cut:
        warnings.append(W_CLIPPED)
    return warnings


def bound_profile(profile: Profile) -> list[str]:
    """Clip the profile's texts in place; the warnings that apply."""
    cuts = []
    for name, limit in (
        ("bio", BIO_CHARS),
        ("location", LOCATION_CHARS),
        ("website", URL_CHARS),
        ("avatar_url", URL_CHARS),
        ("header_url", URL_CHARS),
    ):
        value, cut = clip(getattr(profile, name), limit)
        setattr(profile, name, value)
        cuts.append(cut)
    return [W_CLIPPED] if any(cuts) else []
