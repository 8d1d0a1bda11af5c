"""Directory matches reported as wrong, and their retraction (threat model §4.2 D6).

A user who rejects a match that the directory supports reports it. Reports never act by
themselves (anyone can open chat accounts to report a genuine link): the bot's
administrators list the most reported links and retract one, which deletes every directory
row behind it, from every source, for all users; an organisation whose vouch was among
them loses its approval.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from chatbot.matching.model import Match
from chatbot.storage.db import Database
from chatbot.storage.schema import directory_entries, match_reports, organisations

DIRECTORY_CODES = frozenset({"directory_verified", "directory_vouched", "directory_claimed"})


def from_directory(match: Match) -> bool:
    """Whether directory rows support this match (what a report may retract)."""
    return any(reason.code in DIRECTORY_CODES for reason in match.reasons)


@dataclass(frozen=True)
class Reported:
    """A reported link: `id` names it for `/reports retract`."""

    id: int
    x_id: int
    network: str
    target: str
    reporters: int
    x_username: str | None
    sources: tuple[str, ...]  # provenances of the rows behind it


@dataclass(frozen=True)
class Retracted:
    rows: int  # directory rows deleted
    revoked_orgs: tuple[int, ...]  # organisations whose approval ended


class ReportStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def report(self, user_id: int, x_id: int, network: str, target: str) -> None:
        """Record the report (once per user and link)."""
        row = {"reporter_id": user_id, "x_id": x_id, "network": network, "target": target,
               "created_at": dt.datetime.now(dt.UTC)}  # fmt: skip
        try:
            async with self.db.begin() as conn:
                await conn.execute(insert(match_reports).values(row))
        except IntegrityError:
            return  # reported before

    async def most_reported(self, limit: int) -> list[Reported]:
        r, d = match_reports.c, directory_entries.c
        query = (
            select(func.min(r.id), r.x_id, r.network, r.target, func.count(r.reporter_id))
            .group_by(r.x_id, r.network, r.target)
            .order_by(func.count(r.reporter_id).desc(), func.min(r.id))
            .limit(limit)
        )
        out = []
        async with self.db.begin() as conn:
            for report_id, x_id, network, target, reporters in list(await conn.execute(query)):
                rows = await conn.execute(
                    select(d.provenance, d.x_username).where(
                        d.x_id == x_id, d.network == network, d.target == target
                    )
                )
                found = list(rows)
                names = [name for _, name in found if name]
                out.append(
                    Reported(
                        int(report_id), int(x_id), network, target, int(reporters),
                        names[0] if names else None,
                        tuple(sorted({provenance for provenance, _ in found})),
                    )
                )  # fmt: skip
        return out

    async def retract(self, report_id: int) -> Retracted | None:
        """Delete every directory row behind the reported link, and its reports; None when
        no report has this id."""
        r, d, o = match_reports.c, directory_entries.c, organisations.c
        async with self.db.begin() as conn:
            found = (
                await conn.execute(select(r.x_id, r.network, r.target).where(r.id == report_id))
            ).first()
            if found is None:
                return None
            x_id, network, target = found
            link = (d.x_id == x_id, d.network == network, d.target == target)
            vouches = await conn.execute(
                select(d.provenance_detail).where(*link, d.x_proof == "org_vouch")
            )
            orgs = sorted(
                int(detail.removeprefix("org:"))
                for (detail,) in vouches
                if detail and detail.removeprefix("org:").isdigit()
            )
            deleted = (await conn.execute(delete(directory_entries).where(*link))).rowcount
            await conn.execute(
                delete(match_reports).where(
                    r.x_id == x_id, r.network == network, r.target == target
                )
            )
            if orgs:
                await conn.execute(
                    update(organisations)
                    .where(o.id.in_(orgs))
                    .values(approved_at=None, approved_by=None)
                )
        return Retracted(int(deleted), tuple(orgs))
