"""Streaming writers of the generator: multi-part data files, follow lists, tweets."""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from devtools.archivegen_json import Layout, TemplateCache
from devtools.archivegen_tweets import (
    SOURCES,
    created_at,
    snowflake,
)
from devtools.archivegen_values import TweetValues
from devtools.archivegen_zip import ZipSink

if TYPE_CHECKING:
    pass

TINY_JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
TINY_PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")
TINY_MP4 = bytes.fromhex("000000186674797069736f6d0000020069736f6d6d703432")
# Decodable pictures for the tweets' media (the import re-encodes them): 4x4 JPEG, 2x2 PNG.
PHOTO_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb00430006040506050406060506070706080a100a0a09"
    "090a140e0f0c1017141818171416161a1d251f1a1b231c1616202c20232627292a29191f2d302d2830252829"
    "28ffdb0043010707070a080a130a0a13281a161a282828282828282828282828282828282828282828282828"
    "2828282828282828282828282828282828282828282828282828ffc000110800040004030122000211010311"
    "01ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303"
    "020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f024"
    "33627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a63646566"
    "6768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7"
    "b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffc400"
    "1f0100030101010101010101010000000000000102030405060708090a0bffc400b511000201020404030407"
    "05040400010277000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a"
    "162434e125f11718191a262728292a35363738393a434445464748494a535455565758595a63646566676869"
    "6a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9"
    "bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9faffda000c030100"
    "02110311003f00e028a28af9e3f613ffd9"
)
PHOTO_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d494844520000000200000002080600000072b60d240000001449444154789c636460f8dfc0c0c0c0c0c4000500162701837e8c03620000000049454e44ae426082"
)


def write_parts(
    sink: ZipSink,
    base: str,
    var: str,
    layout: Layout,
    rendered: Iterable[str],
    part_size: int,
    *,
    bom: bool = False,
    crlf: bool = False,
) -> dict[int, int]:
    """Write records into ``base.js``, ``base-part1.js``...; a new part starts after the
    record that makes a part exceed `part_size` bytes. Returns {part: record count}."""
    records = iter(rendered)
    current = next(records, None)
    parts: dict[int, int] = {}
    part = 0
    while True:
        name = f"{base}.js" if part == 0 else f"{base}-part{part}.js"
        prefix = f"window.YTD.{var}.part{part} = "
        with sink.open(name) as out:

            def put(text: str) -> None:
                out.write(text.replace("\n", "\r\n") if crlf else text)

            if bom:
                put("\ufeff")
            if current is None:
                put(prefix + "[ ]")
                return {0: 0}
            put(prefix + layout.open)
            size, count = len(prefix), 0
            while current is not None:
                put(current)
                size += len(current) + 4
                count += 1
                current = next(records, None)
                if current is None or size > part_size:
                    break
                put(layout.sep)
            put(layout.close)
            if bom:
                put(";\n")
        parts[part] = count
        if current is None:
            return parts
        part += 1


def write_ids(
    sink: ZipSink,
    base: str,
    var: str,
    wrap: str,
    ids: Iterable[int],
    layout: Layout,
    userlink: bool,
    part_size: int,
    *,
    bom: bool = False,
    crlf: bool = False,
) -> dict[int, int]:
    def build(_shape: object, v: dict[str, str]) -> Any:
        inner = {"accountId": v["a"]}
        if userlink:
            inner["userLink"] = "https://twitter.com/intent/user?user_id=" + v["a"]
        return {wrap: inner}

    cache = TemplateCache(layout, build)
    rendered = (cache.render(0, {"a": str(i)}) for i in ids)
    return write_parts(sink, base, var, layout, rendered, part_size, bom=bom, crlf=crlf)


def write_records(
    sink: ZipSink, base: str, var: str, records: list[Any], layout: Layout
) -> dict[int, int]:
    return write_parts(sink, base, var, layout, (layout.record(r) for r in records), 1 << 62)


class TweetStream(TweetValues):
    """Writes the tweets in file order and the files that depend on them."""

    # -- files ---------------------------------------------------------------------------------

    def _count(self) -> int:
        spec = self.gen.spec
        if spec.tweets_bytes <= 0:
            return spec.tweets
        probe = TweetStream(self.gen, random.Random(spec.seed + 99), self.people, self.layout)
        probe._notes_left = 0
        sample = [len(r) for when in probe._times(300) for r, _ in probe._make(when, True)]
        return int(spec.tweets_bytes / (sum(sample) / len(sample)) * 1.15) + 10

    def write(self, sink: ZipSink, base: str, var: str) -> dict[int, int]:
        gen, spec = self.gen, self.gen.spec
        times = self._times(self._count())
        oldest, newest = (min(times), max(times)) if times else (None, None)

        def rendered() -> Iterator[str]:
            written = 0
            for when in times:
                if spec.tweets_bytes and written >= spec.tweets_bytes:
                    return
                for text, meta in self._make(when, when in (oldest, newest)):
                    self._account(meta, text)
                    written += len(text) + 4
                    yield text

        gen.tweet_parts = write_parts(
            sink, base, var, self.layout, rendered(), spec.part_size_bytes
        )
        return gen.tweet_parts

    def _account(self, meta: dict[str, Any], text: str) -> None:
        gen = self.gen
        when = meta["created"]
        gen.tweet_records += 1
        gen.years_records[meta["year"]] += 1
        self.headers.append((meta["id"], when))
        if self._min is None or meta["id"] < self._min:
            self._min = meta["id"]
            gen.first_tweet = _parse(when)
        if self._max is None or meta["id"] > self._max:
            self._max = meta["id"]
            gen.last_tweet = _parse(when)
        if not meta["final"]:
            return
        gen.tweets_final += 1
        gen.years_final[meta["year"]] += 1
        for uid, handle in meta["hints"]:
            gen.handles.setdefault(uid, set()).add(handle)
        gen.handles_without_id.update(meta["without"])
        self.media.extend(meta["files"])
        if meta["note"] is not None:
            self.notes.append(meta["note"])
            gen.note_ids.append(meta["id"])
        if len(self.kept) < 40 and meta["kind"] != "rt":
            self.kept.append((meta["id"], text))

    def write_copy(self, sink: ZipSink, name: str, var: str, n: int) -> dict[int, int]:
        """Another tweets file holding copies of the first `n` records (tweet.js + tweets.js)."""
        records = [text for _, text in self.kept[:n]]
        return write_parts(sink, name[:-3], var, self.layout, records, 1 << 62)

    def write_circle(self, sink: ZipSink, base: str, n: int) -> dict[int, int]:
        chosen = self.kept[-n:] if n else []
        self.gen.circle_ids = [tid for tid, _ in chosen]
        return write_parts(
            sink, base, "twitter_circle_tweet", self.layout, [text for _, text in chosen], 1 << 62
        )

    def write_headers(self, sink: ZipSink, base: str, layout: Layout) -> dict[int, int]:
        owner = str(self.gen.owner.id)

        def build(_shape: object, v: dict[str, str]) -> Any:
            return {"tweet": {"tweet_id": v["i"], "user_id": owner, "created_at": v["c"]}}

        cache = TemplateCache(layout, build)
        rendered = (cache.render(0, {"i": str(i), "c": c}) for i, c in self.headers)
        return write_parts(
            sink, base, "tweet_headers", layout, rendered, self.gen.spec.part_size_bytes
        )

    def community_records(self, n: int) -> list[Any]:
        out = []
        for i in range(n):
            who = self.people[i % len(self.people)]
            when = self.gen.generated_at - dt.timedelta(days=30 + i)
            tid = snowflake(when, 11)
            text = f"@{who.handle} hello community {i}"
            out.append(
                {
                    "tweet": {
                        "retweeted": False,
                        "source": SOURCES[2],
                        "entities": {
                            "hashtags": [],
                            "symbols": [],
                            "user_mentions": [
                                {
                                    "name": who.name,
                                    "screen_name": who.handle,
                                    "indices": ["0", str(1 + len(who.handle))],
                                    "id_str": str(who.id),
                                    "id": str(who.id),
                                }
                            ],
                            "urls": [],
                        },
                        "display_text_range": ["0", str(len(text))],
                        "favorite_count": "1",
                        "id_str": str(tid),
                        "scopes": {"followers": False},
                        "truncated": False,
                        "retweet_count": "0",
                        "id": str(tid),
                        "community_id": "1611684946967412736",
                        "community_id_str": "1611684946967412736",
                        "created_at": created_at(when),
                        "favorited": False,
                        "full_text": text,
                        "lang": "en",
                    }
                }
            )
            self.gen.handles.setdefault(who.id, set()).add(who.handle)
        return out

    def write_media(self, sink: ZipSink, data: str) -> None:
        gen, spec, rng = self.gen, self.gen.spec, self.rng
        if not spec.with_media_files or not self.media:
            return
        folder = f"{data}{gen.era.media_dir}/"
        files: list[tuple[str, bytes]] = []
        for name in self.media:
            if rng.random() < spec.missing_media_ratio:
                continue
            if name.endswith(".jpg") and rng.random() < spec.png_mismatch_ratio:
                name = name[:-4] + ".png"
            body = (
                TINY_MP4
                if name.endswith(".mp4")
                else (PHOTO_PNG if name.endswith(".png") else PHOTO_JPEG)
            )
            files.append((name, body))
        if gen.era.zipped_media:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as inner:
                for name, body in files:
                    inner.writestr(name, body)
            sink.write_bytes(f"{data}{gen.era.media_dir}.zip", buffer.getvalue())
            return
        for name, body in files:
            sink.write_bytes(folder + name, body)
            gen.media_files.append(folder + name)


def _parse(created: str) -> dt.datetime:
    return dt.datetime.strptime(created, "%a %b %d %H:%M:%S +0000 %Y").replace(tzinfo=dt.UTC)
