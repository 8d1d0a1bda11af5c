"""Merge loose files sent one after another into one `ParsedArchive`.

Rules: a different owner account id in `new` means a different account, so `new`
replaces `old`. Otherwise follow ids are united (sorted, deduplicated, under the same
caps as one read), record counts are recomputed from `parts` (so the same part sent
twice is not counted twice) and follow counts are the ids held, and every other field
takes the newest known value.
"""

from __future__ import annotations

import copy
import re
from collections import Counter

from chatbot.archive.idlist import W_CAPPED, id_limit, union
from chatbot.archive.model import Counts, Owner, ParsedArchive, Profile
from chatbot.config import ArchiveLimits

_PART_COUNTS = {
    "follower": "followers",
    "following": "following",
    "block": "blocks",
    "mute": "mutes",
    "tweets": "tweets",
}
_ID_FIELDS = ("following", "followers", "blocked", "muted")


def _pick(new: object, old: object) -> object:
    return new if new not in (None, "", [], {}) else old


def _merge_dataclass(old: object, new: object, cls: type) -> object:
    values = {name: _pick(getattr(new, name), getattr(old, name)) for name in vars(old)}
    return cls(**values)


def _merge_years(
    old: ParsedArchive, new: ParsedArchive
) -> tuple[dict[int, int], dict[int, dict[int, int]]]:
    """tweets_per_year without counting a re-sent tweets part twice."""
    if not new.tweet_years_by_part:  # whole-archive dates (tweet-headers.js) win when present
        if new.tweets_per_year:
            return dict(new.tweets_per_year), {}
        return dict(old.tweets_per_year), dict(old.tweet_years_by_part)
    by_part = {p: dict(y) for p, y in old.tweet_years_by_part.items()}
    years: Counter[int] = Counter(old.tweets_per_year)
    old_parts = old.parts.get("tweets", {})
    for part, part_years in new.tweet_years_by_part.items():
        if part in by_part:
            years.subtract(by_part[part])
        elif part in old_parts and old.tweets_per_year:
            continue  # counted before from a source without per-part years: same content
        years.update(part_years)
        by_part[part] = dict(part_years)
    return {y: n for y, n in sorted(years.items()) if n > 0}, by_part


def merge_archives(
    old: ParsedArchive, new: ParsedArchive, limits: ArchiveLimits | None = None
) -> ParsedArchive:
    """The union of two reads of the same account (see the module docstring)."""
    limits = limits or ArchiveLimits()
    old_id, new_id = old.owner.account_id, new.owner.account_id
    if old_id and new_id and old_id != new_id:
        return copy.deepcopy(new)
    merged = ParsedArchive(era=new.era if old.era == "loose" else old.era)
    owner = _merge_dataclass(old.owner, new.owner, Owner)
    assert isinstance(owner, Owner)
    owner.previous_usernames = list(
        dict.fromkeys([*old.owner.previous_usernames, *new.owner.previous_usernames])
    )
    merged.owner = owner
    profile = _merge_dataclass(old.profile, new.profile, Profile)
    assert isinstance(profile, Profile)
    merged.profile = profile
    merged.generated_at = new.generated_at or old.generated_at
    capped = []
    for name in _ID_FIELDS:
        ids, cut = union((getattr(old, name), getattr(new, name)), id_limit(limits, name))
        setattr(merged, name, ids)
        if cut:
            capped.append(W_CAPPED + name)
    merged.parts = {kind: dict(parts) for kind, parts in old.parts.items()}
    for kind, parts in new.parts.items():
        merged.parts.setdefault(kind, {}).update(parts)
    counts = _merge_dataclass(old.counts, new.counts, Counts)
    assert isinstance(counts, Counts)
    for kind, attr in _PART_COUNTS.items():
        if kind in merged.parts:
            setattr(counts, attr, sum(merged.parts[kind].values()))
    for kind, name in (
        ("follower", "followers"),
        ("following", "following"),
        ("block", "blocked"),
        ("mute", "muted"),
    ):
        if kind in merged.parts:  # the ids held, deduplicated, are the count
            setattr(counts, _PART_COUNTS[kind], len(getattr(merged, name)))
    merged.counts = counts
    firsts = [d for d in (old.first_tweet, new.first_tweet) if d is not None]
    lasts = [d for d in (old.last_tweet, new.last_tweet) if d is not None]
    merged.first_tweet = min(firsts) if firsts else None
    merged.last_tweet = max(lasts) if lasts else None
    merged.tweets_per_year, merged.tweet_years_by_part = _merge_years(old, new)
    merged.handles = {k: Counter(v) for k, v in old.handles.items()}
    for user_id, seen in new.handles.items():
        merged.handles.setdefault(user_id, Counter()).update(seen)
    merged.handles_without_id = old.handles_without_id + new.handles_without_id
    merged.files_read = list(dict.fromkeys([*old.files_read, *new.files_read]))
    merged.posts_read = old.posts_read or new.posts_read
    merged.warnings = _merge_warnings(merged, old, new, capped)
    return merged


def _merge_warnings(
    merged: ParsedArchive, old: ParsedArchive, new: ParsedArchive, extra: list[str]
) -> list[str]:
    warnings = list(dict.fromkeys([*old.warnings, *new.warnings, *extra]))
    has = {kind: kind in merged.parts for kind in ("follower", "following")}
    if _NO_FOLLOWS in warnings and any(has.values()):  # one of the two lists was sent
        index = warnings.index(_NO_FOLLOWS)
        warnings[index : index + 1] = [w for k, w in _SOLVED.items() if not has[k]]
    posts = new.posts_read
    kept = [
        _still_missing(w, merged.parts) if w.startswith(_MISSING_PART) else w
        for w in warnings
        if not (w in _SOLVED.values() and has[_KIND_OF[w]])
        and not (posts and w.startswith(_NO_POSTS))
    ]
    return [w for w in kept if w]


def _still_missing(warning: str, parts: dict[str, dict[int, int]]) -> str:
    """The missing-part warning without the files sent since ("" when none is left)."""
    names = warning.removeprefix(_MISSING_PART).split(",")
    left = [n for n in names if not _sent(n, parts)]
    return _MISSING_PART + ",".join(left) if any(n != "…" for n in left) else ""


def _sent(name: str, parts: dict[str, dict[int, int]]) -> bool:
    """Whether a follow list's part was sent since (the parts of posts come from the
    manifest, so a posts file cannot be told sent this way: its warning stays)."""
    found = _PART_NAME.fullmatch(name)
    if found is None or found["kind"] not in ("follower", "following", "block", "mute"):
        return False
    return int(found["part"] or 0) in parts.get(found["kind"], {})


_NO_FOLLOWS = "archive.warning.no_follow_files"
_SOLVED = {
    "follower": "archive.warning.no_followers_file",
    "following": "archive.warning.no_following_file",
}
_KIND_OF = {warning: kind for kind, warning in _SOLVED.items()}
_MISSING_PART = "archive.warning.missing_part:"
_PART_NAME = re.compile(r"(?P<kind>[a-z-]+?)(?:-part(?P<part>[0-9]{1,3}))?\.js")
_NO_POSTS = ("archive.warning.no_tweets_file", "archive.warning.only_tweet_headers")
