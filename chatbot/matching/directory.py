"""The X-id directory as the engine sees it: a protocol, an in-memory version, CSV parsing.

The SQL implementation is `chatbot.storage.directory.DirectoryStore`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from chatbot.matching.model import DirectoryEntry, Network, Observations, Provenance, XProof

CSV_COLUMNS = ("x_id", "x_username", "bluesky", "mastodon")


class DirectoryReader(Protocol):
    async def entries(self, x_ids: Sequence[int]) -> dict[int, list[DirectoryEntry]]:
        """Directory entries (consent given, not withdrawn) of these X ids."""

    async def observations(self, x_ids: Sequence[int], names: Iterable[str]) -> Observations:
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

    async def entries(self, x_ids: Sequence[int]) -> dict[int, list[DirectoryEntry]]:
        out: dict[int, list[DirectoryEntry]] = {}
        for x_id in x_ids:
            usable = [e for e in self.by_id.get(x_id, ()) if e.usable]
            if usable:
                out[x_id] = usable
        return out

    async def observations(self, x_ids: Sequence[int], names: Iterable[str]) -> Observations:
        result = Observations()
        wanted = {n.lower() for n in names}
        for x_id in x_ids:
            found = self.seen.names_by_id.get(x_id)
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
    x_proof: XProof = "org_vouch" if vouched and provenance == "org_roster" else "none"
    entries: list[DirectoryEntry] = []
    problems: list[CsvProblem] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row] + ["", "", "", ""]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and cells[0].lower() == "x_id":
            continue
        if not cells[0].isdigit() or not 0 < int(cells[0]) < 2**63:
            problems.append(CsvProblem(number, "bad_id"))
            continue
        x_id, username = int(cells[0]), cells[1].lstrip("@") or None
        bluesky, mastodon = cells[2].lstrip("@"), cells[3].lstrip("@")
        if not bluesky and not mastodon:
            problems.append(CsvProblem(number, "no_account"))
            continue

        def entry(
            network: Network,
            handle: str | None,
            did: str | None,
            acct: str | None,
            x_id: int = x_id,
            username: str | None = username,
        ) -> None:
            entries.append(
                DirectoryEntry(
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
            )

        if bluesky:
            did = bluesky if bluesky.startswith("did:") else None
            entry("bluesky", None if did else bluesky.lower(), did, None)
        if mastodon:
            user, _, host = mastodon.partition("@")
            if not user or "." not in host:
                problems.append(CsvProblem(number, "bad_mastodon"))
                continue
            acct = f"{user}@{host.lower()}"
            entry("mastodon", acct, None, acct)
    return entries, problems
