"""The owner's avatar and banner from ``profile_media/``, kept for `/profile`.

Only these two public pictures are ever copied out of an upload (§6.1 of the format
reference): ``<accountId>-<basename(avatarMediaUrl)>`` and ``<accountId>-<banner
timestamp>.jpg``. Every other member of the archive stays unread. They are written to
``<data_dir>/profiles/<user_id>/avatar.<ext>`` and ``banner.<ext>`` (owner-only modes),
each at most `MAX_IMAGE_BYTES`, and deleted by `/forget` (`forget_profile_images`).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from chatbot.archive.guard import Member
from chatbot.archive.model import ArchiveError, ParsedArchive
from chatbot.archive.source import ArchiveSource, open_archive
from chatbot.config import ArchiveLimits

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 5_000_000
KINDS = ("avatar", "banner")
_MAGIC = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)


def profile_dir(data_dir: Path, user_id: int) -> Path:
    return data_dir / "profiles" / str(user_id)


def image_type(data: bytes) -> str | None:
    """``jpg``, ``png``, ``gif`` or ``webp`` by content; None for anything else."""
    for magic, ext in _MAGIC:
        if data.startswith(magic):
            return ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def stored_images(data_dir: Path, user_id: int) -> dict[str, Path]:
    """The kept pictures of a user: {"avatar": path, "banner": path} (either may be absent)."""
    folder = profile_dir(data_dir, user_id)
    found: dict[str, Path] = {}
    for kind in KINDS:
        for path in sorted(folder.glob(f"{kind}.*")):
            found[kind] = path
            break
    return found


def forget_profile_images(data_dir: Path, user_id: int) -> None:
    shutil.rmtree(profile_dir(data_dir, user_id), ignore_errors=True)


def find_profile_media(source: ArchiveSource, parsed: ParsedArchive) -> dict[str, Member]:
    """The avatar and banner members named by profile.js (and account.js's id)."""
    files = source.profile_media
    account = parsed.owner.account_id
    found: dict[str, Member] = {}
    avatar_url = parsed.profile.avatar_url
    if avatar_url:
        base = avatar_url.split("?")[0].rstrip("/").rpartition("/")[2]
        member = _pick(files, account, lambda rest: rest == base)
        if base and member is not None:
            found["avatar"] = member
    header_url = parsed.profile.header_url
    if header_url:
        stamp = header_url.split("?")[0].rstrip("/").rpartition("/")[2]
        member = _pick(files, account, lambda rest: rest.rpartition(".")[0] == stamp)
        if stamp and member is not None:
            found["banner"] = member
    return found


def _pick(
    files: dict[str, Member], account: str | None, ok: Callable[[str], bool]
) -> Member | None:
    matches: list[tuple[bool, Member]] = []
    for name, member in sorted(files.items()):
        owner, sep, rest = name.partition("-")
        if sep and ok(rest):
            matches.append((owner != account, member))  # the owner's own id first
    return min(matches, key=lambda item: item[0])[1] if matches else None


def extract_profile_images(
    paths: Sequence[Path],
    parsed: ParsedArchive,
    data_dir: Path,
    user_id: int,
    limits: ArchiveLimits | None = None,
) -> dict[str, Path] | None:
    """Copy the avatar and banner out of an uploaded archive.

    Returns what is now kept, or None when the upload was loose data files (the pictures
    kept from an earlier archive stay). A whole archive replaces the kept pictures.
    """
    try:
        with open_archive(paths, limits) as source:
            if source.era == "loose":
                return None
            found = find_profile_media(source, parsed)
            images = {kind: _read(source, member) for kind, member in found.items()}
    except ArchiveError as exc:
        log.info("profile media not readable: %s", exc.code)
        return None
    folder = profile_dir(data_dir, user_id)
    forget_profile_images(data_dir, user_id)
    kept: dict[str, Path] = {}
    for kind, image in images.items():
        if image is None:
            continue
        data, ext = image
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"{kind}.{ext}"
        path.touch(mode=0o600)
        path.write_bytes(data)
        kept[kind] = path
    return kept


def _read(source: ArchiveSource, member: Member) -> tuple[bytes, str] | None:
    if member.size > MAX_IMAGE_BYTES:
        log.info("profile picture too big (%d bytes): not kept", member.size)
        return None
    try:
        with source.open_member(member, record=False) as stream:
            data = stream.read_all(MAX_IMAGE_BYTES, member.name)
    except ArchiveError as exc:
        log.info("profile picture not kept: %s", exc.code)
        return None
    ext = image_type(data)
    return None if ext is None else (data, ext)
