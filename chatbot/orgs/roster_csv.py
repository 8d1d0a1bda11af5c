"""An organisation's roster CSV: ``x_username,bluesky,mastodon`` and an optional ``x_id``.

The header names the columns (any order); without a header the columns are taken in
that order. Each row needs a valid X username and at least one new account. Problems
come back with their line numbers, as (line, code, value) for the admin to fix.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from chatbot.orgs.store import RosterRow
from chatbot.storage.limits import IDENTIFIER_MAX

COLUMNS = ("x_username", "bluesky", "mastodon", "x_id")
MAX_ROWS = 5000
X_NAME = re.compile(r"^[A-Za-z0-9_]{1,15}$")
BSKY_HANDLE = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$")
DID = re.compile(r"^did:(plc:[a-z2-7]{24}|web:[a-z0-9.:%-]+)$")
ACCT = re.compile(r"^[A-Za-z0-9_]{1,30}@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
HANDLE_MAX = 253  # a domain name (a Bluesky handle, an instance) has at most 253 characters


def valid_bluesky_handle(value: str) -> bool:
    return len(value) <= HANDLE_MAX and BSKY_HANDLE.match(value) is not None


def valid_bluesky(value: str) -> bool:
    """A handle or a DID that fits the directory."""
    if valid_bluesky_handle(value):
        return True
    return len(value) <= IDENTIFIER_MAX and DID.match(value) is not None


def valid_acct(value: str) -> bool:
    """``user@domain`` as Mastodon writes it (no leading ``@``), short enough to store."""
    return len(value) <= IDENTIFIER_MAX and ACCT.match(value) is not None


@dataclass(frozen=True)
class RosterProblem:
    line: int
    code: str  # bad_x_username | bad_x_id | bad_bluesky | bad_mastodon | no_account | ...
    value: str = ""


def parse_roster_csv(text: str) -> tuple[list[RosterRow], list[RosterProblem]]:
    """The valid rows and the problems of the others (a wrong header stops everything)."""
    lines = list(csv.reader(io.StringIO(text)))
    if not any(any(cell.strip() for cell in row) for row in lines):
        return [], [RosterProblem(1, "empty")]
    header = [cell.strip().lower() for cell in lines[0]]
    start = 1
    if any(name in COLUMNS for name in header):
        unknown = [name for name in header if name and name not in COLUMNS]
        if unknown or "x_username" not in header:
            return [], [RosterProblem(1, "bad_header", ",".join(unknown) or ",".join(header))]
        order = header
    elif _row(1, dict(zip(COLUMNS, (c.strip() for c in lines[0]), strict=False)))[0]:
        order, start = list(COLUMNS), 0  # no header: the first line is already a row
    else:
        return [], [RosterProblem(1, "bad_header", ",".join(header))]
    rows: list[RosterRow] = []
    problems: list[RosterProblem] = []
    seen: set[str] = set()
    for number, raw in enumerate(lines[start:], start + 1):
        if not any(cell.strip() for cell in raw):
            continue
        if len(rows) >= MAX_ROWS:
            problems.append(RosterProblem(number, "too_many", str(MAX_ROWS)))
            break
        cells = dict(zip(order, (cell.strip() for cell in raw), strict=False))
        row, problem = _row(number, cells)
        if problem is not None:
            problems.append(problem)
        elif row is not None:
            if row.x_username.lower() in seen:
                problems.append(RosterProblem(number, "duplicate", row.x_username))
                continue
            seen.add(row.x_username.lower())
            rows.append(row)
    return rows, problems


def _row(number: int, cells: dict[str, str]) -> tuple[RosterRow | None, RosterProblem | None]:
    name = cells.get("x_username", "").lstrip("@")
    if not X_NAME.match(name):
        return None, RosterProblem(number, "bad_x_username", name)
    x_id_text = cells.get("x_id", "")
    if x_id_text and not (x_id_text.isdigit() and 0 < int(x_id_text) < 2**63):
        return None, RosterProblem(number, "bad_x_id", x_id_text)
    bluesky = cells.get("bluesky", "").lstrip("@").lower() or None
    if bluesky and not valid_bluesky(bluesky):
        return None, RosterProblem(number, "bad_bluesky", bluesky)
    mastodon = cells.get("mastodon", "").lstrip("@") or None
    if mastodon:
        user, _, host = mastodon.partition("@")
        mastodon = f"{user}@{host.lower()}"
        if not valid_acct(mastodon):
            return None, RosterProblem(number, "bad_mastodon", mastodon)
    if not bluesky and not mastodon:
        return None, RosterProblem(number, "no_account", name)
    x_id = int(x_id_text) if x_id_text else None
    return RosterRow(name, x_id, bluesky, mastodon), None
