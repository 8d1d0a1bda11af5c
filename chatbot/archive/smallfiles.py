"""Small one-shot files: manifest.js, account.js, profile.js, screen names, classic details.

These are parsed whole (they are tiny), capped by ``max_json_file_bytes``. From
account.js only the id, handle, display name and creation date are kept: the e-mail
and phone number are dropped at once and never stored or logged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from chatbot.archive import bounds, names
from chatbot.archive.guard import Member
from chatbot.archive.model import ArchiveError, Owner, Profile
from chatbot.archive.source import ArchiveSource
from chatbot.archive.tweets import parse_date
from chatbot.archive.wrapper import loads, unwrap


def load_small(source: ArchiveSource, member: Member) -> Any:
    with source.open_member(member) as stream:
        data = stream.read_all(source.limits.max_json_file_bytes, member.rel)
    return loads(data, member.rel)[1]


def first_record(source: ArchiveSource, kind: str) -> dict[str, Any]:
    """The unwrapped first record of a one-record file (account.js, profile.js)."""
    for _, member in source.parts(kind):
        value = load_small(source, member)
        if not isinstance(value, list):
            raise ArchiveError("malformed", file=member.rel)
        if value:
            return unwrap(value[0])
    return {}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass
class Manifest:
    """What manifest.js says: owner, generation date, and record counts per file part."""

    owner: Owner = field(default_factory=Owner)
    generated_at: str | None = None
    counts: dict[str, dict[int, int]] = field(default_factory=dict)  # type -> part -> n

    def total(self, kind: str) -> int | None:
        parts = self.counts.get(kind)
        return sum(parts.values()) if parts is not None else None


def read_manifest(source: ArchiveSource) -> Manifest | None:
    members = source.parts("manifest")
    if not members:
        return None
    value = load_small(source, members[0][1])
    if not isinstance(value, dict):
        raise ArchiveError("malformed", file=members[0][1].rel)
    manifest = Manifest()
    user = value.get("userInfo")
    if isinstance(user, dict):
        manifest.owner = Owner(
            account_id=_str(user.get("accountId")),
            username=_str(user.get("userName")),
            display_name=_str(user.get("displayName")),
        )
    info = value.get("archiveInfo")
    if isinstance(info, dict):
        manifest.generated_at = _str(info.get("generationDate"))
    types = value.get("dataTypes")
    for entry in types.values() if isinstance(types, dict) else []:
        files = entry.get("files") if isinstance(entry, dict) else None
        for item in files if isinstance(files, list) else []:
            if not isinstance(item, dict):
                continue
            name = names.parse_data_name(str(item.get("fileName") or "").rpartition("/")[2])
            count = bounds.count(item.get("count"))
            if count is None:
                continue
            if name is not None and name.type in names.ALLOWED_TYPES:
                manifest.counts.setdefault(name.type, {})[name.part] = count
    return manifest


def account_created(value: object) -> dt.datetime | None:
    """`createdAt` of account.js: ISO in most eras, epoch milliseconds as a string in some
    2018 archives (``"1346793019000"``); a value outside X's lifetime is no date."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 15:
        try:
            when = dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
        return when if bounds.plausible_year(when.year) else None
    return parse_date(value)


def read_owner(source: ArchiveSource, manifest: Manifest | None) -> Owner:
    """Owner from the manifest's userInfo, completed (created_at) by account.js."""
    owner = Owner(**vars(manifest.owner)) if manifest else Owner()
    account = first_record(source, "account")
    owner.account_id = owner.account_id or _str(account.get("accountId"))
    owner.username = owner.username or _str(account.get("username"))
    owner.display_name = owner.display_name or _str(account.get("accountDisplayName"))
    owner.created_at = account_created(account.get("createdAt"))
    for _, member in source.parts("screen-name-change"):
        records = load_small(source, member)
        for record in records if isinstance(records, list) else []:
            change = unwrap(record).get("screenNameChange")
            old = _str(change.get("changedFrom")) if isinstance(change, dict) else None
            if old and old not in owner.previous_usernames and old != owner.username:
                owner.previous_usernames.append(old)
    return owner


def read_profile(source: ArchiveSource) -> Profile:
    record = first_record(source, "profile")
    description = record.get("description")
    description = description if isinstance(description, dict) else {}
    return Profile(
        bio=_str(description.get("bio")),
        website=_str(description.get("website")),
        location=_str(description.get("location")),
        avatar_url=_str(record.get("avatarMediaUrl")),
        header_url=_str(record.get("headerMediaUrl")),
    )


def was_protected(source: ArchiveSource) -> bool:
    for _, member in source.parts("protected-history"):
        records = load_small(source, member)
        for record in records if isinstance(records, list) else []:
            history = unwrap(record)
            if str(history.get("action", "")).lower() == "protect":
                return True
    return False


def read_classic(source: ArchiveSource) -> tuple[Owner, dict[int, int]]:
    """Classic (Grailbird) archive: owner from user_details.js, tweets per year."""
    owner = Owner()
    for _, member in source.parts("classic-user"):
        user = load_small(source, member)
        if isinstance(user, dict):
            owner = Owner(
                account_id=_str(str(user.get("id") or "")),
                username=_str(user.get("screen_name")),
                display_name=_str(user.get("full_name")),
                created_at=parse_date(user.get("created_at")),
            )
    years: dict[int, int] = {}
    for _, member in source.parts("classic-index"):
        index = load_small(source, member)
        for month in index if isinstance(index, list) else []:
            if isinstance(month, dict):
                year, count = (
                    bounds.count(month.get("year")),
                    bounds.count(month.get("tweet_count")),
                )
                if year is not None and count is not None and bounds.plausible_year(year):
                    years[year] = years.get(year, 0) + count
    return owner, years
