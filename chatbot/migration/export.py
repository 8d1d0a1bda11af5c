"""The files of `/export`, built from matches: pure (matches in, rows and bytes out).

* ``following_accounts.csv``: Mastodon's own import ("Following list", Threads accounts
  included: they are fediverse addresses ``user@threads.net``), with the exact
  header Mastodon writes and reads, one ``user@instance,true,false,`` row per account, at
  most 20,000 rows per file (``following_accounts-1.csv``, ``-2``, ... when split). Only
  addresses of Mastodon's ``user@domain`` grammar (no leading ``@``) are written: no cell
  can start a formula and the file stays importable.
* ``matches.csv`` and ``matches.json``: every match, both directions, with its tier and
  its reasons (codes, and texts in the user's language). The CSV is for people and
  spreadsheets: every cell is one clean line of text that cannot start a formula
  (`chatbot.safetext`). The JSON keeps the data as it is, valid UTF-8 whatever it holds.
* the Bluesky accounts a list or a starter pack gets, the best tiers first.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chatbot.i18n import Translator
from chatbot.matching.model import TIER_RANK, Match
from chatbot.matching.present import reason_text
from chatbot.safetext import clean, csv_cell

MASTODON_HEADER = "Account address,Show boosts,Notify on new posts,Languages"
# Mastodon's other import types (app/models/form/import.rb); the file name tells the
# server the type (blocked_accounts*, muted_accounts*, lists*)
BLOCKS_HEADER = "Account address"
MUTES_HEADER = "Account address,Hide notifications"
LISTS_HEADER = "List name,Account address"
FEDIVERSE = ("mastodon", "threads")  # networks whose accounts a Mastodon server can follow
MASTODON_MAX_ROWS = 20_000  # per file, Mastodon's import limit
JSON = "application/json"
STARTER_PACK_MAX = 150  # accounts in a starter pack (the official app's cap)
# Mastodon's account address: its username rule, "@", a domain name (255 characters at most)
ADDRESS = re.compile(
    r"[A-Za-z0-9_]+(?:[.-]+[A-Za-z0-9_]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z][A-Za-z0-9-]{0,62}"
)
ADDRESS_MAX = 255
CELL_LIMIT = 2000  # characters in one cell of matches.csv (the reasons of a match fit)
MATCH_COLUMNS = (
    "x_id", "x_username", "network", "handle", "did", "acct", "tier", "direction",
    "confirmed", "eligible", "reason_codes", "reasons",
)  # fmt: skip


@dataclass(frozen=True)
class ExportFile:
    name: str
    data: bytes
    mime_type: str
    rows: int = 0  # data rows (header excluded) of a CSV


def _followed(match: Match) -> bool:
    return match.direction in ("following", "both")


def _chosen(match: Match, all_tiers: bool) -> bool:
    return _followed(match) and (all_tiers or match.eligible_for_auto_follow)


def _rank(match: Match) -> tuple[int, int]:
    return TIER_RANK[match.tier], int(match.confirmed)


def mastodon_address(value: str | None) -> str | None:
    """`value` as Mastodon's import reads an account address (``user@domain``), or None."""
    address = (value or "").strip().removeprefix("@")
    if len(address) <= ADDRESS_MAX and ADDRESS.fullmatch(address):
        return address
    return None


def mastodon_accounts(matches: Iterable[Match], *, all_tiers: bool = False) -> list[str]:
    """The accts to follow on Mastodon: the eligible matches among the accounts the user
    followed on X (every tier with `all_tiers`), once each, in the matches' order. Threads
    accounts (``user@threads.net``) are among them: a Mastodon server follows them too."""
    seen: dict[str, None] = {}
    for match in matches:
        acct = mastodon_address(match.acct or match.handle)
        if match.network in FEDIVERSE and _chosen(match, all_tiers) and acct:
            seen.setdefault(acct, None)
    return list(seen)


def bluesky_accounts(
    matches: Iterable[Match], *, all_tiers: bool = False, limit: int | None = None
) -> list[str]:
    """The DIDs for a list or a starter pack, the best tiers first (confirmed ones first
    within a tier), once each, at most `limit`."""
    picked = sorted(
        (m for m in matches if m.network == "bluesky" and m.did and _chosen(m, all_tiers)),
        key=_rank,
        reverse=True,
    )  # sorted() is stable: the matches' order within a rank
    dids: dict[str, None] = {}
    for match in picked:
        dids.setdefault(str(match.did), None)
    return list(dids)[:limit] if limit is not None else list(dids)


def mastodon_csv_rows(accts: Sequence[str]) -> list[list[str]]:
    """One row per valid address (others are left out: Mastodon would refuse the file)."""
    valid = (mastodon_address(acct) for acct in accts)
    return [[acct, "true", "false", ""] for acct in valid if acct]


def _csv(header: str | Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if isinstance(header, str):
        out.write(header + "\n")
    else:
        writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def mastodon_csv_files(
    accts: Sequence[str], *, max_rows: int = MASTODON_MAX_ROWS
) -> list[ExportFile]:
    """``following_accounts.csv``, or ``following_accounts-<n>.csv`` files of at most
    `max_rows` rows each (the header repeated in each); none without accounts."""
    rows = mastodon_csv_rows(accts)
    chunks = [rows[i : i + max_rows] for i in range(0, len(rows), max_rows)]
    files = []
    for number, chunk in enumerate(chunks, 1):
        name = "following_accounts.csv" if len(chunks) == 1 else f"following_accounts-{number}.csv"
        data = _csv(MASTODON_HEADER, chunk).encode("utf-8")
        files.append(ExportFile(name, data, "text/csv", len(chunk)))
    return files


def mastodon_import_files(
    stem: str, header: str, rows: Sequence[Sequence[str]], *, max_rows: int = MASTODON_MAX_ROWS
) -> list[ExportFile]:
    """``<stem>.csv`` (or ``<stem>-<n>.csv`` files of at most `max_rows` rows) of one of
    Mastodon's import types; none without rows."""
    chunks = [rows[i : i + max_rows] for i in range(0, len(rows), max_rows)]
    return [
        ExportFile(
            f"{stem}.csv" if len(chunks) == 1 else f"{stem}-{number}.csv",
            _csv(header, [[csv_cell(cell) for cell in row] for row in chunk]).encode("utf-8"),
            "text/csv",
            len(chunk),
        )
        for number, chunk in enumerate(chunks, 1)
    ]


def blocks_files(blocked: Sequence[str], muted: Sequence[str]) -> list[ExportFile]:
    """``blocked_accounts.csv`` and ``muted_accounts.csv`` (notifications hidden too)."""
    blocks = [[acct.lstrip("@")] for acct in blocked]
    mutes = [[acct.lstrip("@"), "true"] for acct in muted]
    return mastodon_import_files("blocked_accounts", BLOCKS_HEADER, blocks) + (
        mastodon_import_files("muted_accounts", MUTES_HEADER, mutes)
    )


def list_files(name: str, accts: Sequence[str]) -> list[ExportFile]:
    """``lists.csv``: one list named `name` of `accts` (importing it follows them too)."""
    rows = [[name, acct.lstrip("@")] for acct in accts]
    return mastodon_import_files("lists", LISTS_HEADER, rows)


def match_record(t: Translator, match: Match) -> dict[str, object]:
    """One match as a JSON object: reasons with their code, params and translated text."""
    return {
        "x_id": str(match.x_id),
        "x_username": match.x_username,
        "network": match.network,
        "handle": match.handle,
        "did": match.did,
        "acct": match.acct,
        "tier": match.tier,
        "direction": match.direction,
        "confirmed": match.confirmed,
        "eligible": match.eligible_for_auto_follow,
        "reasons": [
            {"code": r.code, "params": r.as_dict(), "text": reason_text(t, r)}
            for r in match.reasons
        ],
    }


def matches_csv(t: Translator, matches: Iterable[Match]) -> bytes:
    """Every match, one row each; reasons joined with `` | `` (UTF-8 with a BOM, so that
    spreadsheet programs read the accents). Every cell is one clean line that cannot start
    a formula: the names and accounts in it come from strangers."""
    rows = []
    for match in matches:
        record = match_record(t, match)
        reasons = record.pop("reasons")
        assert isinstance(reasons, list)
        row = [_cell(record[column]) for column in MATCH_COLUMNS[:-2]]
        row.append(_cell(";".join(str(r["code"]) for r in reasons)))
        row.append(_cell(" | ".join(str(r["text"]) for r in reasons)))
        rows.append(row)
    return _csv(MATCH_COLUMNS, rows).encode("utf-8-sig")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return csv_cell(clean(str(value), CELL_LIMIT))


def matches_json(t: Translator, matches: Iterable[Match], *, language: str) -> bytes:
    """The matches as they are. A lone surrogate (legal in an archive's JSON, not in UTF-8)
    is written as its ``\\uXXXX`` escape: the file stays valid JSON in valid UTF-8."""
    records = [match_record(t, match) for match in matches]
    document = {"language": language, "count": len(records), "matches": records}
    text = json.dumps(document, ensure_ascii=False, indent=1) + "\n"
    return text.encode("utf-8", "backslashreplace")


def match_files(t: Translator, matches: Sequence[Match], *, language: str) -> list[ExportFile]:
    """``matches.csv`` and ``matches.json`` (empty list without matches)."""
    if not matches:
        return []
    return [
        ExportFile("matches.csv", matches_csv(t, matches), "text/csv", len(matches)),
        ExportFile("matches.json", matches_json(t, matches, language=language), JSON),
    ]


def clip(text: str, limit: int) -> str:
    """At most `limit` code points (so at most `limit` graphemes too), trimmed."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rstrip()
