"""Tweet counts and dates by streaming regex, without parsing tweets (§5.5, §9.3).

tweet-headers.js (168 B per record) gives every tweet's id and date: the summary takes
the count, the years and the first and last tweet from it. Without it, and without a
manifest, the tweets files themselves are scanned for their ``created_at`` values.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from chatbot.archive.bounds import plausible_year
from chatbot.archive.follows import CREATED_AT, HEADER_ROW, scan
from chatbot.archive.guard import Member
from chatbot.archive.source import ArchiveSource

_MONTH_NUM = {
    m: f"{i:02d}"
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
Found = list[bytes] | list[tuple[bytes, ...]]


@dataclass
class TweetDates:
    """Counts and date range of a set of tweet records."""

    count: int = 0
    years: Counter[int] = field(default_factory=Counter)
    first: str | None = None  # raw created_at of the oldest record
    last: str | None = None
    by_part: dict[int, dict[int, int]] = field(default_factory=dict)  # part -> year -> n
    part_counts: dict[int, int] = field(default_factory=dict)


def _sort_key(created: str) -> str:
    """A sortable key of an X date without parsing it (hot loop)."""
    if len(created) == 30 and created[3] == " ":
        return created[26:30] + _MONTH_NUM.get(created[4:7], "00") + created[8:19]
    return created


def _year(created: str) -> int | None:
    year = int(created[-4:]) if created[-4:].isdigit() else None
    return year if year is not None and plausible_year(year) else None


def scan_headers(source: ArchiveSource, members: list[tuple[int, Member]]) -> TweetDates:
    """tweet-headers.js: the oldest and newest by tweet id, years by date."""
    dates = TweetDates()
    edges: list[tuple[int, bytes]] = []

    def add(found: Found) -> None:
        rows = [(int(t[0]), t[1]) for t in found if isinstance(t, tuple)]
        dates.count += len(rows)
        dates.years.update(y for _, c in rows if (y := _year(c.decode("latin-1"))))
        if rows:
            edges.extend((min(rows), max(rows)))
            edges[:] = [min(edges), max(edges)]

    for _, member in members:
        with source.open_member(member) as stream:
            scan(stream, member.rel, HEADER_ROW, add)
    if edges:
        dates.first = edges[0][1].decode("ascii", "replace")
        dates.last = edges[-1][1].decode("ascii", "replace")
    return dates


def scan_created_at(source: ArchiveSource, members: list[tuple[int, Member]]) -> TweetDates:
    """Tweets files without a manifest: one ``created_at`` per record, counted by part."""
    dates = TweetDates()
    keys: list[tuple[str, str]] = []
    for part, member in members:
        part_years: Counter[int] = Counter()
        count = 0

        def add(found: Found, years: Counter[int] = part_years) -> None:
            nonlocal count
            values = [v.decode("ascii", "replace") for v in found if isinstance(v, bytes)]
            count += len(values)
            years.update(y for v in values if (y := _year(v)))
            if values:
                sortable = [(_sort_key(v), v) for v in values]
                keys.extend((min(sortable), max(sortable)))
                keys[:] = [min(keys), max(keys)]

        with source.open_member(member) as stream:
            scan(stream, member.rel, CREATED_AT, add)
        dates.part_counts[part] = count
        dates.by_part[part] = dict(part_years)
        dates.years.update(part_years)
        dates.count += count
    if keys:
        dates.first, dates.last = keys[0][1], keys[-1][1]
    return dates
