"""`read_archive`: the summary, the follow lists and the handle hints of an archive.

Summary phase (always): manifest counts, owner, profile, tweet dates from
tweet-headers.js, and every follow/block/mute id by streaming regex. Hints phase
(``hints=True``): one streamed pass over the tweets for id -> handle hints, and the
tweet dates when tweet-headers.js is absent. Warnings are locale keys.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from chatbot.archive import bounds, smallfiles
from chatbot.archive.dates import scan_created_at, scan_headers
from chatbot.archive.follows import (
    LIKE_ID,
    LIST_URL,
    count_matches,
    extract_ids,
)
from chatbot.archive.guard import too_big
from chatbot.archive.hints import HintScan
from chatbot.archive.idlist import W_CAPPED, IdCollector, dedupe, id_limit
from chatbot.archive.model import ParsedArchive
from chatbot.archive.records import iter_records
from chatbot.archive.source import ArchiveSource, open_archive
from chatbot.archive.tweets import TWEET_TYPES, is_superseded, parse_date, tweet_body
from chatbot.config import ArchiveLimits

log = logging.getLogger(__name__)

FOLLOW_TYPES = (
    ("following", "following"),
    ("follower", "followers"),
    ("block", "blocked"),
    ("mute", "muted"),
)
W_CLASSIC = "archive.warning.classic_no_follows"
W_COUNT_MISMATCH = "archive.warning.count_mismatch"
W_MISSING_PART = "archive.warning.missing_part"
W_NO_FOLLOWERS = "archive.warning.no_followers_file"
W_NO_FOLLOWING = "archive.warning.no_following_file"
W_NO_OWNER = "archive.warning.no_owner"
W_PROTECTED = "archive.warning.was_protected"
W_NO_TWEETS = "archive.warning.no_tweets_file"  # + ":" + the file of that era
W_ONLY_HEADERS = "archive.warning.only_tweet_headers"  # + ":" + the file of that era
W_NO_FOLLOWS = "archive.warning.no_follow_files"
MAX_NAMED_PARTS = 6  # missing files named in a warning, at most


def read_archive(
    paths: Sequence[Path], limits: ArchiveLimits | None = None, *, hints: bool = True
) -> ParsedArchive:
    """Read one zip, or one or several loose data files. Raises `ArchiveError`."""
    with open_archive(paths, limits or ArchiveLimits()) as source:
        parsed = ParsedArchive(era=source.era)
        try:
            _Reader(source, parsed, hints).run()
        except (MemoryError, RecursionError):
            raise too_big(source.limits.max_member_uncompressed_bytes) from None
        parsed.files_read = list(source.files_read)
        log.debug("read %d archive members (era %s)", len(parsed.files_read), parsed.era)
        return parsed


def owner_id_of(source: ArchiveSource) -> int | None:
    """The owner's account id (manifest, else account.js), for reply classification."""
    manifest = smallfiles.read_manifest(source)
    owner = smallfiles.read_owner(source, manifest)
    try:
        return int(owner.account_id) if owner.account_id else None
    except ValueError:
        return None


def _warn(parsed: ParsedArchive, key: str) -> None:
    if key not in parsed.warnings:
        parsed.warnings.append(key)


class _Reader:
    def __init__(self, source: ArchiveSource, parsed: ParsedArchive, hints: bool) -> None:
        self.source = source
        self.parsed = parsed
        self.hints = hints
        self.manifest: smallfiles.Manifest | None = None

    def run(self) -> None:
        source, parsed = self.source, self.parsed
        if parsed.era == "classic":
            self._classic()
            return
        self.manifest = smallfiles.read_manifest(source)
        if self.manifest is not None:
            parsed.generated_at = parse_date(self.manifest.generated_at)
            self._check_manifest_parts()
        parsed.owner = smallfiles.read_owner(source, self.manifest)
        parsed.profile = smallfiles.read_profile(source)
        for key in bounds.bound_owner(parsed.owner) + bounds.bound_profile(parsed.profile):
            _warn(parsed, key)
        if smallfiles.was_protected(source):
            _warn(parsed, W_PROTECTED)
        self._follows()
        self._likes_and_lists()
        self._tweets()
        if parsed.era != "loose":
            self._missing_files()
        if not parsed.owner.account_id and parsed.era != "loose":
            _warn(parsed, W_NO_OWNER)

    def _missing_files(self) -> None:
        """Warn about the follow lists and posts a whole archive lacks (the user slimmed it)."""
        source, parsed = self.source, self.parsed
        following, follower = source.has("following"), source.has("follower")
        if not (following or follower):
            _warn(parsed, W_NO_FOLLOWS)
        elif not following:
            _warn(parsed, W_NO_FOLLOWING)
        elif not follower:
            _warn(parsed, W_NO_FOLLOWERS)
        if not any(source.has(k) for k in TWEET_TYPES):
            key = W_ONLY_HEADERS if source.has("tweet-headers") else W_NO_TWEETS
            _warn(parsed, f"{key}:{self._tweets_file()}.js")

    def _tweets_file(self) -> str:
        """The posts file of this archive's era: tweet.js until late 2022, then tweets.js."""
        if self.manifest is not None:
            for kind in TWEET_TYPES:
                if kind in self.manifest.counts:
                    return kind
            return "tweets"
        return "tweet"  # 2018-2020 archives without a manifest

    def _manifest_count(self, kind: str, part: int) -> int | None:
        return self.manifest.counts.get(kind, {}).get(part) if self.manifest else None

    def _check_manifest_parts(self) -> None:
        """Files the manifest lists and the upload lacks, for the data types of which some
        part was sent (a type sent not at all has its own warning)."""
        assert self.manifest is not None
        missing = []
        for kind in ("follower", "following", "tweets", "tweet", "block", "mute"):
            expected = self.manifest.counts.get(kind, {})
            present = self.source.files.get(kind, {})
            if present:
                missing += [_file_name(kind, part) for part, n in sorted(expected.items())
                            if part not in present and n > 0]  # fmt: skip
        if missing:
            shown = missing[:MAX_NAMED_PARTS] + (["…"] if len(missing) > MAX_NAMED_PARTS else [])
            _warn(self.parsed, f"{W_MISSING_PART}:{','.join(shown)}")

    def _follows(self) -> None:
        parsed, source = self.parsed, self.source
        for kind, attr in FOLLOW_TYPES:
            members = source.parts(kind)
            if not members:
                total = self.manifest.total(kind) if self.manifest else None
                if total is not None and kind in ("block", "mute"):
                    setattr(parsed.counts, _count_attr(kind), total)
                continue
            collected = IdCollector(id_limit(source.limits, attr))
            for part, member in members:
                if collected.full:  # the cap is reached: the other parts stay unread
                    break
                before = len(collected.ids)
                with source.open_member(member) as stream:
                    extract_ids(stream, member.rel, collected)
                found = len(collected.ids) - before
                parsed.parts.setdefault(kind, {})[part] = found
                expected = self._manifest_count(kind, part)
                if expected is not None and expected != found and not collected.full:
                    _warn(parsed, W_COUNT_MISMATCH)
            if collected.full:
                _warn(parsed, W_CAPPED + attr)
            ids = dedupe(collected.ids)
            setattr(parsed, attr, ids)
            setattr(parsed.counts, _count_attr(kind), len(ids))

    def _likes_and_lists(self) -> None:
        parsed, source = self.parsed, self.source
        total = self.manifest.total("like") if self.manifest else None
        if total is None and source.has("like"):
            total = 0
            for _, member in source.parts("like"):
                with source.open_member(member) as stream:
                    total += count_matches(stream, member.rel, LIKE_ID)[0]
        parsed.counts.likes = total
        for _, member in source.parts("lists-created"):
            with source.open_member(member) as stream:
                found = count_matches(stream, member.rel, LIST_URL)[0]
            parsed.counts.lists = (parsed.counts.lists or 0) + found

    def _tweets(self) -> None:
        parsed, source = self.parsed, self.source
        kinds = [k for k in TWEET_TYPES if source.has(k)]
        parsed.posts_read = bool(kinds)
        manifest_total = None
        if self.manifest is not None:
            for kind in (*kinds, *TWEET_TYPES):
                manifest_total = self.manifest.total(kind)
                if manifest_total is not None:
                    for part, n in self.manifest.counts[kind].items():
                        parsed.parts.setdefault("tweets", {})[part] = n
                    break
        parsed.counts.tweets = manifest_total
        have_dates = self._tweet_headers()
        if self.hints and (kinds or source.has("community-tweet") or source.has("note-tweet")):
            self._scan_tweets(kinds, have_dates)
        elif kinds and manifest_total is None:
            self._count_tweets(kinds, have_dates)

    def _tweet_headers(self) -> bool:
        members = self.source.parts("tweet-headers")
        if not members:
            return False
        dates = scan_headers(self.source, members)
        self._set_dates(dates.years, dates.first, dates.last)
        if self.parsed.counts.tweets is None:
            self.parsed.counts.tweets = dates.count
        return True

    def _set_dates(self, years: Counter[int], first: object, last: object) -> None:
        self.parsed.first_tweet = parse_date(_text(first))
        self.parsed.last_tweet = parse_date(_text(last))
        self.parsed.tweets_per_year = _years(years)

    def _scan_tweets(self, kinds: list[str], have_dates: bool) -> None:
        parsed, source = self.parsed, self.source
        limit = source.limits.max_record_bytes
        scanner = HintScan(source.limits.max_handle_ids)
        seen: set[int] | None = set() if len(kinds) > 1 else None
        by_part: dict[int, dict[int, int]] = {}
        part_counts: dict[int, int] = {}
        main = kinds[0] if kinds else None
        for kind in [*kinds, "community-tweet"]:
            own = kind in TWEET_TYPES
            for part, member in source.parts(kind):
                records, before = 0, scanner.count
                with source.open_member(member) as stream:
                    for record in iter_records(stream, member.rel, limit):
                        records += 1
                        tweet = tweet_body(record)
                        tweet_id = _id(tweet.get("id_str"))
                        if tweet_id is None or is_superseded(tweet, tweet_id):
                            continue
                        if seen is not None and own:
                            if tweet_id in seen:
                                continue
                            seen.add(tweet_id)
                        year = scanner.add_tweet(tweet, tweet_id, count=own)
                        if own and year is not None and kind == main:
                            years = by_part.setdefault(part, {})
                            years[year] = years.get(year, 0) + 1
                if own:
                    part_counts[part] = part_counts.get(part, 0) + scanner.count - before
                expected = self._manifest_count(kind, part) if kind == main else None
                if expected is not None and expected != records:
                    _warn(parsed, W_COUNT_MISMATCH)
        for _, member in source.parts("note-tweet"):
            with source.open_member(member) as stream:
                for record in iter_records(stream, member.rel, limit):
                    note = record.get("noteTweet") if isinstance(record, dict) else None
                    if isinstance(note, dict):
                        scanner.add_note(note)
        self._hints_from(scanner)
        if kinds:
            if parsed.counts.tweets is None:
                parsed.counts.tweets = scanner.count
                parsed.parts["tweets"] = part_counts
            if not have_dates:
                parsed.tweet_years_by_part = by_part
                self._set_dates(
                    scanner.years,
                    scanner.first and scanner.first[1],
                    scanner.last and scanner.last[1],
                )

    def _hints_from(self, scanner: HintScan) -> None:
        self.parsed.handles = scanner.handles
        self.parsed.handles_without_id = scanner.without_id
        if scanner.capped:
            _warn(self.parsed, W_CAPPED + "handles")

    def _count_tweets(self, kinds: list[str], have_dates: bool) -> None:
        """No manifest, no hints: count records and years with a streaming regex."""
        dates = scan_created_at(self.source, self.source.parts(kinds[0]))
        self.parsed.counts.tweets = dates.count
        self.parsed.parts["tweets"] = dates.part_counts
        if not have_dates:
            self.parsed.tweet_years_by_part = dates.by_part
            self._set_dates(dates.years, dates.first, dates.last)

    def _classic(self) -> None:
        parsed, source = self.parsed, self.source
        parsed.owner, years = smallfiles.read_classic(source)
        for key in bounds.bound_owner(parsed.owner, file="user_details.js"):
            _warn(parsed, key)
        parsed.tweets_per_year = _years(years)
        parsed.counts.tweets = sum(years.values()) if years else None
        _warn(parsed, W_CLASSIC)
        parsed.posts_read = source.has("classic-tweets") or bool(years)
        if not self.hints:
            return
        scanner = HintScan(source.limits.max_handle_ids)
        for _, member in source.parts("classic-tweets"):
            with source.open_member(member) as stream:
                for record in iter_records(stream, member.rel, source.limits.max_record_bytes):
                    tweet = tweet_body(record)
                    tweet_id = _id(tweet.get("id_str"))
                    if tweet_id is not None:
                        scanner.add_tweet(tweet, tweet_id)
        self._hints_from(scanner)
        if scanner.count:
            parsed.first_tweet, parsed.last_tweet = scanner.dates()
            if not years:
                parsed.counts.tweets = scanner.count
                parsed.tweets_per_year = _years(scanner.years)


def _years(years: Counter[int] | dict[int, int]) -> dict[int, int]:
    """Posts per year, without years no X post can have (a forged date of year 1 or 9999
    would stretch the chart over thousands of bars)."""
    return {y: n for y, n in sorted(years.items()) if bounds.plausible_year(y)}


def _text(value: object) -> object:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


def _id(value: object) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 <= number < 2**63 else None


def _file_name(kind: str, part: int) -> str:
    return f"{kind}-part{part}.js" if part else f"{kind}.js"


def _count_attr(kind: str) -> str:
    return {"follower": "followers", "following": "following", "block": "blocks", "mute": "mutes"}[
        kind
    ]
