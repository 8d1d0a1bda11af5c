"""The X-id directory as the engine sees it: a protocol, an in-memory version, CSV parsing.

The SQL implementation is `chatbot.storage.directory.DirectoryStore`.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from chatbot.archive.idlist import among, member, packed
from chatbot.matching.model import DirectoryEntry, Network, Observations, Provenance, XProof
from chatbot.networks.threads_names import threads_acct, threads_username

if TYPE_CHECKING:
    from chatbot.archive.idlist import Ids, IdsLike

# an optional fifth column, threads: a Threads address in any spelling (user@threads.net,
# threads.com/@user); a Threads address in the mastodon column is taken as one too
CSV_COLUMNS = ("x_id", "x_username", "bluesky", "mastodon")


class DirectoryReader(Protocol):
    """Both lookups take every id of an archive at once (millions: join them in bulk) and
    return only the ids they know something about."""

    async def entries(self, x_ids: IdsLike) -> dict[int, list[DirectoryEntry]]:
        """Directory entries (consent given, not withdrawn) of these X ids."""

    async def observations(self, x_ids: IdsLike, names: Iterable[str]) -> Observations:
        """What users' archives say about these ids, and which ids these names were seen for."""


@dataclass
class MemoryDirectory:
    """A directory held in memory (tests, the benchmark world, the CLI with --directory)."""

    by_id: dict[int, list[DirectoryEntry]] = field(default_factory=dict)
    seen: Observations = field(default_factory=Observations)

    def add(self, entry: DirectoryEntry) -> None:
        self.by_id.setdefault(entry.x_id, []).append(entry)

    def observe(self, x_id: int, screen_name: str, users: int = 1) -> None:
        """`users` more distinct users' archives associate `x_id` with `screen_name`."""
        names = self.seen.names_by_id.setdefault(x_id, {})
        names[screen_name] = names.get(screen_name, 0) + users
        ids = self.seen.ids_by_name.setdefault(screen_name.lower(), {})
        ids[x_id] = ids.get(x_id, 0) + users

    async def entries(self, x_ids: IdsLike) -> dict[int, list[DirectoryEntry]]:
        out: dict[int, list[DirectoryEntry]] = {}
        for x_id in among(packed(x_ids), self.by_id):
            usable = [e for e in self.by_id[x_id] if e.usable]
            if usable:
                out[x_id] = usable
        return out

    async def observations(self, x_ids: IdsLike, names: Iterable[str]) -> Observations:
        result = Observations()
        wanted = {n.lower() for n in names}
        for x_id in among(packed(x_ids), self.seen.names_by_id):
            found = self.seen.names_by_id[x_id]
            if found:
                result.names_by_id[x_id] = dict(found)
                wanted.update(n.lower() for n in found)
        for name in wanted:
            ids = self.seen.ids_by_name.get(name)
            if ids:
                result.ids_by_name[name] = dict(ids)
        return result


@dataclass(frozen=True)
class CsvProblem:
    line: int
    problem: str  # "bad_id" | "no_account" | "bad_mastodon"


def parse_directory_csv(
    text: str,
    *,
    provenance: Provenance = "csv_import",
    detail: str | None = None,
    vouched: bool = False,
) -> tuple[list[DirectoryEntry], list[CsvProblem]]:
    """Rows ``x_id, x_username, bluesky, mastodon`` (header optional) -> directory entries.

    `bluesky` is a handle or a DID, `mastodon` an acct (``user@domain``, leading ``@`` ok).
    Imported links prove nothing on the new-account side; `vouched` (an organisation
    admin vouching for its roster) proves the X side only.
    """
    entries: list[DirectoryEntry] = []
    problems: list[CsvProblem] = []
    rows = iter_directory_csv(
        io.StringIO(text), provenance=provenance, detail=detail, vouched=vouched
    )
    for item in rows:
        if isinstance(item, CsvProblem):
            problems.append(item)
        else:
            entries.append(item)
    return entries, problems


BATCH = 20_000  # rows whose ids are looked up together (`only`)


def iter_directory_csv(
    lines: Iterable[str],
    *,
    provenance: Provenance = "csv_import",
    detail: str | None = None,
    vouched: bool = False,
    only: Ids | None = None,
) -> Iterator[DirectoryEntry | CsvProblem]:
    """`parse_directory_csv` as a stream, for files of millions of rows (`chatbot match`).

    With `only` (sorted ids), entries are made for the rows of those ids alone; every
    row's problems are still reported."""
    x_proof: XProof = "org_vouch" if vouched and provenance == "org_roster" else "none"
    rows = _csv_rows(lines)
    while batch := list(itertools.islice(rows, BATCH)):
        wanted = [True] * len(batch)
        if only is not None:
            ids = np.fromiter((x_id or -1 for _, x_id, _ in batch), np.int64, len(batch))
            wanted = member(only, ids).tolist()
        for (number, x_id, row), build in zip(batch, wanted, strict=True):
            if x_id is None:
                yield CsvProblem(number, "bad_id")
                continue
            bluesky, mastodon = _cell(row, 2), _cell(row, 3)
            threads = threads_username(_cell(row, 4)) if _cell(row, 4) else None
            if mastodon and threads_username(mastodon):  # a Threads address in the column
                threads, mastodon = threads or threads_username(mastodon), ""
            if not bluesky and not mastodon and not threads:
                yield CsvProblem(number, "no_account")
                continue
            username = _cell(row, 1) or None if build else None

            def entry(
                network: Network,
                handle: str | None,
                did: str | None,
                acct: str | None,
                x_id: int = x_id,
                username: str | None = username,
            ) -> DirectoryEntry:
                return DirectoryEntry(
                    x_id=x_id,
                    x_username=username,
                    network=network,
                    handle=handle,
                    did=did,
                    acct=acct,
                    provenance=provenance,
                    provenance_detail=detail,
                    x_proof=x_proof,
                )

            if bluesky and build:
                did = bluesky if bluesky.startswith("did:") else None
                yield entry("bluesky", None if did else bluesky.lower(), did, None)
            if mastodon:
                user, _, host = mastodon.partition("@")
                if not user or "." not in host:
                    yield CsvProblem(number, "bad_mastodon")
                elif build:
                    acct = f"{user}@{host.lower()}"
                    yield entry("mastodon", acct, None, acct)
            if threads and build:
                acct = threads_acct(threads)
                yield entry("threads", acct, None, acct)


def _cell(row: list[str], index: int) -> str:
    return row[index].strip().lstrip("@") if len(row) > index else ""


def _csv_rows(lines: Iterable[str]) -> Iterator[tuple[int, int | None, list[str]]]:
    """(line number, the X id or None when it is not one, the cells) of each data row."""
    for number, row in enumerate(csv.reader(lines), start=1):
        first = row[0].strip() if row else ""
        if first.startswith("#") or not (first or any(cell.strip() for cell in row)):
            continue
        if number == 1 and first.lower() == "x_id":
            continue
        valid = first.isascii() and first.isdigit() and len(first) <= 19
        x_id = int(first) if valid else 0
        yield number, (x_id if 0 < x_id < 2**63 else None), row
