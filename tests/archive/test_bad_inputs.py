"""Hostile or broken input: each case is one ArchiveError code, never a crash."""

from __future__ import annotations

import gzip
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from chatbot.archive import ArchiveError, read_archive
from chatbot.config import ArchiveLimits
from chatbot.i18n import load_catalog, placeholders

from .conftest import Make, rewrite_zip

CODES = {
    "not_archive",
    "empty",
    "encrypted",
    "truncated",
    "too_big",
    "bomb",
    "too_many_entries",
    "nested",
    "no_data",
    "malformed",
    "unsupported",
}


def _code(paths: list[Path], limits: ArchiveLimits | None = None, **kw: bool) -> ArchiveError:
    with pytest.raises(ArchiveError) as info:
        read_archive(paths, limits, **kw)
    error = info.value
    assert error.code in CODES
    for lang in ("en", "fr"):  # every error has a message whose placeholders we provide
        message = load_catalog(lang)[f"archive.error.{error.code}"]
        assert isinstance(message, str)
        assert placeholders(message) <= set(error.params), (error.code, error.params)
    return error


def _patch_flags(path: Path, bit: int, method: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    for sig, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        start = 0
        while (i := data.find(sig, start)) >= 0:
            flags = struct.unpack_from("<H", data, i + flag_at)[0]
            struct.pack_into("<H", data, i + flag_at, flags | bit)
            if method is not None:
                struct.pack_into("<H", data, i + method_at, method)
            start = i + 4
    path.write_bytes(bytes(data))


def test_empty_inputs(tmp_path: Path) -> None:
    empty = tmp_path / "archive.zip"
    empty.write_bytes(b"")
    assert _code([empty]).code == "empty"
    assert _code([]).code == "empty"
    blank = tmp_path / "blank.zip"
    zipfile.ZipFile(blank, "w").close()  # a valid zip without entries
    assert _code([blank]).code == "empty"


def test_not_an_archive(tmp_path: Path) -> None:
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    assert _code([pdf]).code == "not_archive"
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert _code([text]).code == "not_archive"
    assert _code([tmp_path / "missing.zip"]).code == "not_archive"


def test_other_archive_formats_are_unsupported(tmp_path: Path) -> None:
    tgz = tmp_path / "archive.tar.gz"
    tgz.write_bytes(gzip.compress(b"data"))
    assert _code([tgz]).code == "unsupported"


def test_zip_of_photos_has_no_data(tmp_path: Path) -> None:
    photos = tmp_path / "photos.zip"
    with zipfile.ZipFile(photos, "w") as zf:
        zf.writestr("holiday/IMG_0001.jpg", b"\xff\xd8\xff\xe0" + b"x" * 100)
        zf.writestr("holiday/notes.js", b"var x = 1;")
    assert _code([photos]).code == "no_data"


def test_encrypted(make_archive: Make, tmp_path: Path) -> None:
    gen = make_archive(era="H", tweets=5, seed=30)
    copy = tmp_path / "locked.zip"
    copy.write_bytes(gen.path.read_bytes())
    _patch_flags(copy, 0x1)
    assert _code([copy]).code == "encrypted"


def test_unknown_compression_method(make_archive: Make, tmp_path: Path) -> None:
    gen = make_archive(era="H", tweets=5, seed=30)
    copy = tmp_path / "deflate64.zip"
    copy.write_bytes(gen.path.read_bytes())
    _patch_flags(copy, 0, method=9)
    assert _code([copy]).code == "unsupported"


def test_truncated_and_corrupt(make_archive: Make, tmp_path: Path) -> None:
    gen = make_archive(era="H", tweets=30, followers=2000, seed=31)
    data = gen.path.read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: len(data) // 2])
    assert _code([cut]).code == "truncated"
    with zipfile.ZipFile(gen.path) as zf:
        info = zf.getinfo("data/follower.js")
    corrupt = bytearray(data)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    corrupt[start + 100 : start + 400] = b"\x00" * 300
    bad = tmp_path / "corrupt.zip"
    bad.write_bytes(bytes(corrupt))
    assert _code([bad]).code in ("truncated", "malformed")


def _bomb_zip(path: Path, size: int) -> Path:
    payload = b"window.YTD.follower.part0 = [" + b" " * size + b"]"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("data/follower.js", payload)
        zf.writestr("data/account.js", b"window.YTD.account.part0 = [ ]")
    return path


def test_compression_ratio_bomb(tmp_path: Path) -> None:
    bomb = _bomb_zip(tmp_path / "bomb.zip", 8 * 1024**2)
    assert _code([bomb]).code == "bomb"


def test_bomb_with_lying_declared_size(tmp_path: Path) -> None:
    bomb = _bomb_zip(tmp_path / "liar.zip", 4 * 1024**2)
    data = bytearray(bomb.read_bytes())
    for sig, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        i = data.find(sig)
        struct.pack_into("<I", data, i + size_at, 2000)  # claims 2 kB uncompressed
    bomb.write_bytes(bytes(data))
    assert _code([bomb]).code in ("bomb", "truncated")


def test_actual_bytes_beyond_total_limit(tmp_path: Path) -> None:
    bomb = _bomb_zip(tmp_path / "big.zip", 3 * 1024**2)
    limits = ArchiveLimits(max_total_uncompressed_bytes=1024**2, max_compression_ratio=10**6)
    assert _code([bomb], limits).code == "bomb"
    limits = ArchiveLimits(max_member_uncompressed_bytes=1024**2, max_compression_ratio=10**6)
    error = _code([bomb], limits)
    assert error.code == "too_big" and error.params == {"limit": 1}


def test_too_many_entries_and_upload_size(make_archive: Make) -> None:
    gen = make_archive(era="H", tweets=5, seed=32)
    assert _code([gen.path], ArchiveLimits(max_entries=10)).code == "too_many_entries"
    error = _code([gen.path], ArchiveLimits(max_upload_bytes=1000))
    assert error.code == "too_big" and error.params["limit"] == 1


def test_nesting_beyond_the_limit(make_archive: Make, tmp_path: Path) -> None:
    gen = make_archive(era="H", tweets=5, seed=33)
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as zf:
        zf.write(gen.path, "twitter.zip")
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.write(inner, "inner.zip")
    assert _code([outer]).code == "nested"
    assert _code([inner], ArchiveLimits(max_nesting=0)).code == "nested"
    assert read_archive([outer], ArchiveLimits(max_nesting=2)).owner.username


@pytest.mark.parametrize(
    ("member", "mutate"),
    [
        ("data/follower.js", lambda d: d[:-40]),  # cut short
        ("data/following.js", lambda d: b"window.YTD.following.part0 = {oops"),
        ("data/tweets.js", lambda d: d[: len(d) // 2] + b"}}garbage{{" + d[len(d) // 2 :]),
        ("data/manifest.js", lambda d: d.replace(b'"dataTypes" :', b'"dataTypes" ::')),
        ("data/account.js", lambda d: b'window.YTD.account.part0 = [ {"a": } ]'),
        ("data/note-tweet.js", lambda d: d + b"]]"),
        ("data/tweet-headers.js", lambda d: b"<html>not found</html>"),
    ],
)
def test_malformed_data_file_names_the_file(
    make_archive: Make, tmp_path: Path, member: str, mutate: object
) -> None:
    gen = make_archive(era="H", tweets=30, seed=34)
    assert callable(mutate)
    broken = rewrite_zip(
        gen.path, tmp_path / "broken.zip", lambda n, d: (n, mutate(d) if n == member else d)
    )
    error = _code([broken])
    assert error.code == "malformed"
    assert error.params == {"file": member.rpartition("/")[2]}


def test_deflate_stream_error_is_truncated(tmp_path: Path) -> None:
    path = tmp_path / "raw.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data/follower.js", b"window.YTD.follower.part0 = [ ]" * 1000)
    data = bytearray(path.read_bytes())
    i = data.find(b"PK\x03\x04") + 30 + len("data/follower.js")
    data[i : i + 8] = zlib.compress(b"x")[:8]
    path.write_bytes(bytes(data))
    assert _code([path]).code in ("truncated", "malformed")
