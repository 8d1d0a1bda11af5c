"""Every way users send an archive: zip flavours, re-zipped folders, loose and partial files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from chatbot.archive import read_archive
from chatbot.archive.follows import CHUNK

from .conftest import Make, as_read, extract, rewrite_zip


@pytest.mark.parametrize(
    "flavours",
    [
        ("store",),
        ("deflate", "zip64"),
        ("deflate", "streamed"),
        ("deflate", "top_folder"),
        ("deflate", "macosx", "top_folder"),
        ("store", "zip64", "streamed", "macosx"),
    ],
)
def test_zip_flavours(make_archive: Make, flavours: tuple[str, ...]) -> None:
    gen = make_archive(era="H", tweets=30, followers=50, seed=7, flavours=flavours)
    with zipfile.ZipFile(gen.path) as zf:
        infos = zf.infolist()
    if "streamed" in flavours:
        assert all(i.flag_bits & 0x08 for i in infos if not i.filename.startswith("__MACOSX"))
    if "macosx" in flavours:
        assert any(i.filename.startswith("__MACOSX/") for i in infos)
    parsed = read_archive([gen.path])
    assert parsed.era == "manifest"
    assert list(parsed.followers) == as_read(gen.followers)
    assert parsed.counts.tweets == gen.tweet_records
    assert not any("__MACOSX" in n or "/._" in n for n in parsed.files_read)


def test_full_assets_entry_count(make_archive: Make) -> None:
    gen = make_archive(era="G", tweets=10, assets="full", seed=8)
    with zipfile.ZipFile(gen.path) as zf:
        assert len(zf.infolist()) > 6200
    parsed = read_archive([gen.path], hints=False)
    assert len(parsed.files_read) < 20


def test_zip_of_only_the_data_folder(make_archive: Make, tmp_path: Path) -> None:
    gen = make_archive(era="H", tweets=30, seed=9)

    def only_data(name: str, data: bytes) -> tuple[str, bytes] | None:
        return (name[len("data/") :], data) if name.startswith("data/") else None

    flat = rewrite_zip(gen.path, tmp_path / "flat.zip", only_data)
    parsed = read_archive([flat])
    assert parsed.era == "manifest" and list(parsed.following) == as_read(gen.following)
    keep = rewrite_zip(
        gen.path, tmp_path / "keep.zip", lambda n, d: (n, d) if n.startswith("data/") else None
    )
    assert list(read_archive([keep]).followers) == as_read(gen.followers)


def test_data_folder_without_manifest(make_archive: Make, tmp_path: Path) -> None:
    gen = make_archive(era="G", tweets=30, seed=10)
    slim = rewrite_zip(
        gen.path, tmp_path / "slim.zip", lambda n, d: None if n.endswith("manifest.js") else (n, d)
    )
    parsed = read_archive([slim])
    assert parsed.era == "data-no-manifest"
    assert parsed.owner.username == gen.owner.handle  # from account.js
    assert parsed.counts.tweets == gen.tweet_records  # from tweet-headers.js
    assert parsed.counts.likes == gen.likes  # streamed count


def test_nested_zip_is_opened_once(make_archive: Make, tmp_path: Path) -> None:
    gen = make_archive(era="H", tweets=10, seed=11)
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_STORED) as zf:
        zf.write(gen.path, "twitter-2026-03-06-abc.zip")
    assert list(read_archive([outer]).followers) == as_read(gen.followers)


def test_loose_files(make_archive: Make, tmp_path: Path) -> None:
    gen = make_archive(era="H", tweets=30, seed=12)
    paths = extract(
        gen, tmp_path, "following.js", "follower.js", "account.js", "tweets.js", "manifest.js"
    )
    parsed = read_archive(paths)
    assert parsed.era == "loose"
    assert list(parsed.following) == as_read(gen.following)
    assert parsed.counts.tweets == gen.tweet_records
    assert parsed.handles
    assert all(set(c) <= gen.handles.get(u, set()) for u, c in parsed.handles.items())
    renamed = tmp_path / "follower (1).js.txt"
    renamed.write_bytes((tmp_path / "follower.js").read_bytes())
    assert list(read_archive([renamed]).followers) == as_read(gen.followers)
    odd = tmp_path / "document.bin"  # unknown name: identified by its prefix
    odd.write_bytes((tmp_path / "following.js").read_bytes())
    assert list(read_archive([odd]).following) == as_read(gen.following)


def test_bom_trailing_semicolon_crlf(make_archive: Make) -> None:
    gen = make_archive(era="H", tweets=10, user_edits=True, seed=13)
    parsed = read_archive([gen.path])
    assert list(parsed.followers) == as_read(gen.followers)
    assert list(parsed.following) == as_read(gen.following)
    assert parsed.warnings == []


def test_multi_part_out_of_order_with_follower_part1(make_archive: Make) -> None:
    gen = make_archive(
        era="H", tweets=400, followers=3000, following=1200, part_size_bytes=100_000, seed=14
    )
    assert len(gen.tweet_parts) >= 3 and len(gen.follower_parts) >= 3
    with zipfile.ZipFile(gen.path) as zf:
        names = [i.filename for i in zf.infolist()]
    assert "data/follower-part1.js" in names and "data/tweets-part2.js" in names
    parsed = read_archive([gen.path])
    assert list(parsed.followers) == as_read(gen.followers)
    assert parsed.parts["follower"] == gen.follower_parts
    assert parsed.parts["tweets"] == gen.tweet_parts
    assert parsed.first_tweet == gen.first_tweet and parsed.last_tweet == gen.last_tweet
    assert {u: set(c) for u, c in parsed.handles.items()} == gen.handles
    parsed = read_archive([gen.path], hints=False)
    assert parsed.counts.tweets == gen.tweet_records


def test_tweet_and_tweets_both_present_are_deduplicated(make_archive: Make) -> None:
    gen = make_archive(era="G", tweets=80, both_tweet_files=True, seed=15, tweet_headers=False)
    parsed = read_archive([gen.path])
    assert parsed.counts.tweets == gen.tweet_records  # manifest count of tweets.js
    assert sum(parsed.tweets_per_year.values()) == gen.tweets_final
    slim_manifest = read_archive([gen.path], hints=True)
    assert slim_manifest.handles == parsed.handles


def test_empty_data_files(make_archive: Make) -> None:
    gen = make_archive(
        era="H",
        tweets=0,
        followers=0,
        following=0,
        likes=0,
        blocks=0,
        mutes=0,
        notes=0,
        community=0,
        seed=16,
    )
    parsed = read_archive([gen.path])
    assert parsed.counts.followers == 0 and parsed.counts.tweets == 0
    assert parsed.first_tweet is None and parsed.warnings == []


def test_manifest_count_mismatch_is_a_warning(make_archive: Make, tmp_path: Path) -> None:
    gen = make_archive(era="H", tweets=20, followers=30, seed=17)

    def edit(name: str, data: bytes) -> tuple[str, bytes]:
        if name.endswith("manifest.js"):
            data = data.replace(
                b'"YTD.follower.part0",\n        "count" : "30"',
                b'"YTD.follower.part0",\n        "count" : "31"',
            )
        return name, data

    parsed = read_archive([rewrite_zip(gen.path, tmp_path / "m.zip", edit)])
    assert "archive.warning.count_mismatch" in parsed.warnings
    assert parsed.counts.followers == 30


def test_missing_part_and_missing_follow_files(make_archive: Make, tmp_path: Path) -> None:
    gen = make_archive(era="H", tweets=10, followers=3000, part_size_bytes=100_000, seed=18)
    cut = rewrite_zip(
        gen.path,
        tmp_path / "cut.zip",
        lambda n, d: None if n.endswith(("follower-part1.js", "following.js")) else (n, d),
    )
    parsed = read_archive([cut])
    assert "archive.warning.missing_part:follower-part1.js" in parsed.warnings
    assert "archive.warning.no_following_file" in parsed.warnings


def test_follow_ids_across_chunk_boundaries(make_archive: Make) -> None:
    gen = make_archive(era="D", tweets=5, followers=20_000, seed=19)  # layout 2019, > 2 MiB
    with zipfile.ZipFile(gen.path) as zf:
        assert zf.getinfo("data/follower.js").file_size > 2 * CHUNK
    assert list(read_archive([gen.path], hints=False).followers) == as_read(gen.followers)


def test_minified_tweets_go_through_ijson(make_archive: Make, tmp_path: Path) -> None:
    import orjson

    from chatbot.archive.wrapper import loads

    gen = make_archive(era="G", tweets=50, seed=20)

    def minify(name: str, data: bytes) -> tuple[str, bytes]:
        if name.endswith("tweets.js"):
            data = b"window.YTD.tweets.part0=" + orjson.dumps(loads(data, name)[1]) + b";"
        return name, data

    reference = read_archive([gen.path])
    parsed = read_archive([rewrite_zip(gen.path, tmp_path / "min.zip", minify)])
    assert parsed.handles == reference.handles
    assert parsed.tweets_per_year == reference.tweets_per_year


def test_in_memory_zip_io(make_archive: Make) -> None:
    gen = make_archive(era="H", tweets=5, seed=21)
    assert zipfile.ZipFile(io.BytesIO(gen.path.read_bytes())).testzip() is None
