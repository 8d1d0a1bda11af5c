"""Open an archive (a zip, or loose .js files), find its data by content, guard every read.

Nothing is extracted to disk: zip members are streamed with ``ZipFile.open``. Only
allowlisted members are ever opened (`chatbot.archive.names`), each through a
`MemberStream` that enforces the size, ratio and total limits while it decompresses.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING

from chatbot.archive import names
from chatbot.archive.guard import READ_ERRORS, Member, MemberStream, declared_entries, too_big
from chatbot.archive.model import ArchiveError, Era
from chatbot.archive.wrapper import HEAD_BYTES, parse_header
from chatbot.config import ArchiveLimits

if TYPE_CHECKING:
    from chatbot.archive.tweets import Tweet, TweetMedia

log = logging.getLogger(__name__)

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_OTHER_ARCHIVES = (b"\x1f\x8b", b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"BZh", b"\xfd7zXZ\x00")


def find_data_root(rels: Sequence[str]) -> tuple[str, Era] | None:
    """The data folder of an archive by its content (§0 rule 1), and the era it implies."""
    dirs: dict[str, set[str]] = {}
    classic_roots: set[str] = set()
    for rel in rels:
        folder, _, base = rel.rpartition("/")
        name = names.parse_data_name(base)
        if name is not None and name.type in names.ANCHOR_TYPES:
            dirs.setdefault(folder + "/" if folder else "", set()).add(name.type)
        for marker in ("data/js/tweet_index.js", "data/js/tweets/"):
            idx = rel.find(marker)
            if idx >= 0 and (idx == 0 or rel[idx - 1] == "/"):
                classic_roots.add(rel[:idx])
    if dirs:
        best = max(dirs, key=lambda d: (len(dirs[d]), "manifest" in dirs[d], -d.count("/")))
        if "manifest" in dirs[best]:
            return best, "manifest"
        if best.rstrip("/").rpartition("/")[2] == "data":
            return best, "data-no-manifest"
        return best, "gdpr-root"
    if classic_roots:
        return min(classic_roots, key=len), "classic"
    return None


class ArchiveSource:
    """An opened archive. Use as a context manager; `open_archive` builds it."""

    def __init__(self, paths: Sequence[Path], limits: ArchiveLimits) -> None:
        self.limits = limits
        self.era: Era = "loose"
        self.files: dict[str, dict[int, Member]] = {}
        self.media: dict[str, Member] = {}
        self.profile_media: dict[str, Member] = {}  # profile_media/: avatar and banner
        self.files_read: list[str] = []
        self._closers: list[IO[bytes] | zipfile.ZipFile] = []
        self._total_read = 0
        self._media_by_tweet: dict[str, list[str]] | None = None
        try:
            self._open(list(paths))
        except BaseException:
            self.close()
            raise

    # -- opening ---------------------------------------------------------------------------

    def _open(self, paths: list[Path]) -> None:
        if not paths:
            raise ArchiveError("empty")
        usable: list[tuple[Path, bytes]] = []
        for path in paths:
            try:
                size = path.stat().st_size
                with path.open("rb") as handle:
                    head = handle.read(HEAD_BYTES)
            except OSError:
                raise ArchiveError("not_archive") from None
            if size > self.limits.max_upload_bytes:
                raise too_big(self.limits.max_upload_bytes)
            if size:
                usable.append((path, head))
        if not usable:
            raise ArchiveError("empty")
        zips = [(p, h) for p, h in usable if h.startswith(_ZIP_MAGIC)]
        for _path, head in usable:
            if head.startswith(_OTHER_ARCHIVES):
                raise ArchiveError("unsupported")
        for path, _head in zips:
            handle = path.open("rb")
            self._closers.append(handle)
            self._add_zip(handle, depth=0)
        for path, head in usable:
            if not head.startswith(_ZIP_MAGIC):
                self._add_loose(path, head)
        if len(zips) == 0:
            self.era = "loose"
        if not self.files:
            if not zips and len(usable) == 1:
                raise ArchiveError("not_archive")
            raise ArchiveError("no_data")

    def _add_zip(self, fp: IO[bytes], depth: int) -> None:
        try:
            entries = declared_entries(fp)
            if entries is not None and entries > self.limits.max_entries:
                raise ArchiveError("too_many_entries", limit=self.limits.max_entries)
            zf = zipfile.ZipFile(fp)
        except NotImplementedError:
            raise ArchiveError("unsupported") from None
        except READ_ERRORS:
            raise ArchiveError("truncated") from None
        self._closers.append(zf)
        infos = zf.infolist()
        if len(infos) > self.limits.max_entries:
            raise ArchiveError("too_many_entries", limit=self.limits.max_entries)
        if not infos:
            raise ArchiveError("empty")
        members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            rel = names.normalise(info.filename)
            if rel is not None and not info.is_dir():
                members.setdefault(rel, info)
        found = find_data_root(list(members))
        if found is None:
            inner = [
                (rel, info)
                for rel, info in members.items()
                if rel.lower().endswith(".zip")
                and not any(f"{d}/" in rel for d in names.MEDIA_DIRS)
            ]
            if not inner:
                if all(info.flag_bits & 0x1 for info in infos if not info.is_dir()):
                    raise ArchiveError("encrypted")
                raise ArchiveError("no_data")
            if depth >= self.limits.max_nesting:
                raise ArchiveError("nested")
            rel, info = max(inner, key=lambda item: item[1].file_size)
            member = Member(rel, rel, info.file_size, info.compress_size, zf, info)
            self._check_declared(member)
            try:
                handle = zf.open(info)
            except NotImplementedError:
                raise ArchiveError("unsupported") from None
            except RuntimeError:
                raise ArchiveError("encrypted") from None
            except READ_ERRORS:
                raise ArchiveError("truncated") from None
            self._closers.append(handle)
            self._add_zip(handle, depth + 1)
            return
        root, era = found
        self.era = era
        for rel_full, info in members.items():
            if not rel_full.startswith(root):
                continue
            rel = rel_full[len(root) :]
            member = Member(rel_full, rel, info.file_size, info.compress_size, zf, info)
            if era == "classic":
                kind = names.CLASSIC_FILES.get(rel)
                month = names.classic_month(rel)
                if kind is not None:
                    self._add_file(kind, 0, member)
                elif month is not None:
                    self._add_file("classic-tweets", month, member)
                continue
            folder, _, base = rel.rpartition("/")
            if not folder:
                data_name = names.allowed_data_name(base)
                if data_name is not None:
                    self._add_file(data_name.type, data_name.part, member)
            elif folder in names.MEDIA_DIRS:
                self.media.setdefault(rel, member)
            elif folder == names.PROFILE_MEDIA_DIR:
                self.profile_media.setdefault(base, member)
        log.debug("zip at depth %d: %d entries, era %s", depth, len(infos), era)

    def _add_loose(self, path: Path, head: bytes) -> None:
        base = names.clean_loose_name(path.name)
        data_name = names.parse_data_name(base)
        if data_name is not None and data_name.type not in names.ALLOWED_TYPES:
            return  # a private file sent by mistake: never read it
        try:
            header = parse_header(head, path.name)
        except ArchiveError:
            if data_name is None:
                return
            header = None
        if header is not None and header.kind == "ytd" and header.data_type:
            if header.data_type not in names.ALLOWED_TYPES:
                return
            data_name = names.DataName(header.data_type, header.part or 0)
        elif header is not None and header.kind == "manifest":
            data_name = names.DataName("manifest", 0)
        if data_name is None:
            return
        size = path.stat().st_size
        self._add_file(data_name.type, data_name.part, Member(base, base, size, size, path=path))

    def _add_file(self, kind: str, part: int, member: Member) -> None:
        self.files.setdefault(kind, {}).setdefault(part, member)

    # -- reading ---------------------------------------------------------------------------

    def add_read(self, nbytes: int) -> None:
        self._total_read += nbytes
        if self._total_read > self.limits.max_total_uncompressed_bytes:
            raise ArchiveError("bomb")

    def _check_declared(self, member: Member) -> None:
        limits = self.limits
        if member.info is not None and member.info.flag_bits & 0x1:
            raise ArchiveError("encrypted")
        if member.size > limits.max_member_uncompressed_bytes:
            raise too_big(limits.max_member_uncompressed_bytes)
        if member.size > limits.max_total_uncompressed_bytes - self._total_read:
            raise ArchiveError("bomb")
        if (
            member.size >= limits.ratio_check_min_bytes
            and member.size > limits.max_compression_ratio * max(member.compressed, 1)
        ):
            raise ArchiveError("bomb")

    def open_member(self, member: Member, *, record: bool = True) -> MemberStream:
        """A guarded stream of an allowlisted member; recorded in `files_read`."""
        self._check_declared(member)
        raw: IO[bytes]
        try:
            if member.zf is not None and member.info is not None:
                raw = member.zf.open(member.info)
            elif member.path is not None:
                raw = member.path.open("rb")
            else:  # pragma: no cover - a Member always has one of both
                raise ArchiveError("no_data")
        except NotImplementedError:  # a subclass of RuntimeError: test it first
            raise ArchiveError("unsupported") from None
        except RuntimeError:
            raise ArchiveError("encrypted") from None
        except READ_ERRORS:
            raise ArchiveError("truncated") from None
        if record:
            self.files_read.append(member.name)
        return MemberStream(raw, member, self)

    def parts(self, kind: str) -> list[tuple[int, Member]]:
        """The members of one data type, by part number."""
        return sorted(self.files.get(kind, {}).items())

    def has(self, kind: str) -> bool:
        return bool(self.files.get(kind))

    # -- lazy access for the import --------------------------------------------------------

    def iter_tweets(self) -> Iterator[Tweet]:
        """The owner's own tweets (archive order), with long posts merged; see `Tweet`."""
        from chatbot.archive.tweets import iter_source_tweets

        return iter_source_tweets(self)

    def open_media(self, tweet_id: int | str, media: TweetMedia) -> MemberStream | None:
        """The media file of a tweet, or None when the archive does not have it."""
        from chatbot.archive.tweets import find_media

        rel = find_media(self, str(tweet_id), media)
        return None if rel is None else self.open_member(self.media[rel], record=False)

    def media_by_tweet(self) -> dict[str, list[str]]:
        """Media file paths (relative to the data folder) grouped by tweet id prefix."""
        if self._media_by_tweet is None:
            index: dict[str, list[str]] = {}
            for rel in self.media:
                base = rel.rpartition("/")[2]
                index.setdefault(base.partition("-")[0], []).append(rel)
            self._media_by_tweet = index
        return self._media_by_tweet

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        while self._closers:
            try:
                self._closers.pop().close()
            except Exception:  # closing must never mask the real error
                log.debug("error while closing an archive handle", exc_info=True)

    def __enter__(self) -> ArchiveSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_archive(paths: Sequence[Path], limits: ArchiveLimits | None = None) -> ArchiveSource:
    """Open one zip or several loose data files for lazy reading (a context manager)."""
    return ArchiveSource([Path(p) for p in paths], limits or ArchiveLimits())
