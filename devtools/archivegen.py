"""Synthetic X archives of every era and any size (§12 of the format spec).

    python -m devtools.archivegen --era H --followers 1000 --tweets 500 OUT.zip

Writes are streamed (one zip member at a time, records rendered from templates), so a
1,000,000-follower list or three 100 MiB tweets parts take seconds and little memory.
Every private file is filled with canary strings (`Generated.canaries`) that tests
assert never reach the parsed archive, the logs or anything else.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import sys
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

from devtools import archivegen_private as private
from devtools.archivegen_eras import ERAS, EraInfo
from devtools.archivegen_json import Layout, dump2019
from devtools.archivegen_stream import TweetStream, write_ids, write_records
from devtools.archivegen_tweets import Person, iso, words
from devtools.archivegen_zip import ZipSink


@dataclass
class ArchiveSpec:
    """Generator parameters (see §12.1). Sizes are record counts unless named bytes."""

    era: str = "H"
    tweets: int = 40
    tweets_bytes: int = 0  # > 0: generate tweets until the tweets files hold this many bytes
    followers: int = 25
    following: int = 40
    likes: int = 12
    blocks: int = 3
    mutes: int = 2
    notes: int = 2
    community: int = 1
    circle: int = 1
    lists: int = 2
    media_ratio: float = 0.25
    rt_ratio: float = 0.1
    reply_ratio: float = 0.5
    self_thread_ratio: float = 0.3
    quote_ratio: float = 0.08
    edited_ratio: float = 0.05
    part_size_bytes: int = 104_857_600
    with_media_files: bool = True
    missing_media_ratio: float = 0.0
    png_mismatch_ratio: float = 0.0
    assets: str = "minimal"  # none | minimal | full (6,200 dummy entries)
    flavours: tuple[str, ...] = ("deflate",)
    compresslevel: int = 1
    manifest: bool | None = None  # None: as the era had it
    tweet_headers: bool | None = None  # None: as the era had it
    both_tweet_files: bool = False  # tweet.js and tweets.js both present (merged folders)
    user_edits: bool = False  # a BOM and a trailing ";" on follower.js, CRLF in following.js
    protected: bool = False
    canaries: bool = True
    shuffle_parts: bool = True
    seed: int = 1


@dataclass
class Generated:
    """What was written: the ground truth tests compare the reader's output with."""

    path: Path
    spec: ArchiveSpec
    era: EraInfo
    owner: Person
    owner_created: dt.datetime
    generated_at: dt.datetime
    following: array[int] = field(default_factory=lambda: array("q"))
    followers: array[int] = field(default_factory=lambda: array("q"))
    blocked: array[int] = field(default_factory=lambda: array("q"))
    muted: array[int] = field(default_factory=lambda: array("q"))
    follower_parts: dict[int, int] = field(default_factory=dict)
    following_parts: dict[int, int] = field(default_factory=dict)
    tweet_records: int = 0  # records in the tweets files (every version of edited tweets)
    tweets_final: int = 0  # distinct tweets, last versions only
    tweet_parts: dict[int, int] = field(default_factory=dict)
    years_records: Counter[int] = field(default_factory=Counter)
    years_final: Counter[int] = field(default_factory=Counter)
    first_tweet: dt.datetime | None = None
    last_tweet: dt.datetime | None = None
    handles: dict[int, set[str]] = field(default_factory=dict)
    handles_without_id: set[str] = field(default_factory=set)
    canaries: list[str] = field(default_factory=list)
    private_members: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    media_files: list[str] = field(default_factory=list)
    likes: int = 0
    lists: int = 0
    circle_ids: list[int] = field(default_factory=list)
    note_ids: list[int] = field(default_factory=list)  # ids of tweets completed by a note


def _ids(rng: random.Random, n: int, salt: int) -> array[int]:
    """Unique account ids: legacy 5-10 digit ids mixed with 18-19 digit snowflakes."""
    out = array("q")
    for i in range(n):
        if i % 3 == 0:
            out.append(10_000 + (i * 977 + salt) % 10**6 * 1000 + rng.randrange(1000) % 1000)
        else:
            out.append(
                1_000_000_000_000_000_000 + (salt * 10**13) + i * 10**6 + rng.randrange(10**6)
            )
    return array("q", dict.fromkeys(out))


def _people(rng: random.Random, ids: array[int], n: int) -> list[Person]:
    people = []
    for i, account in enumerate(ids[:n]):
        word = rng.choice(("bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan"))
        people.append(Person(int(account), f"{word}_{i}x", f"{word.title()} Example {i}"))
    return people


def generate(spec: ArchiveSpec, out: Path) -> Generated:
    """Write the archive described by `spec` to `out` (a .zip) and return its truth."""
    era = ERAS[spec.era]
    rng = random.Random(spec.seed)
    owner = Person(1234567890123456789 + spec.seed, f"alice_{spec.seed}", "Alice Example 🦋")
    gen = Generated(
        out, spec, era, owner, dt.datetime(2009, 3, 1, 9, 14, 27, tzinfo=dt.UTC), era.generated
    )
    hexid = hashlib.sha256(f"acct{spec.seed}".encode()).hexdigest()
    top = f"twitter-{era.generated:%Y-%m-%d}-{hexid}"
    flavours = set(spec.flavours)
    sink = ZipSink(out, flavours, top, spec.compresslevel)
    try:
        gen.following = _ids(rng, spec.following, 1)
        mutual = gen.following[: max(0, min(spec.followers // 12, len(gen.following)))]
        gen.followers = array("q", dict.fromkeys([*mutual, *_ids(rng, spec.followers, 2)]))
        del gen.followers[spec.followers :]
        gen.blocked = _ids(rng, spec.blocks, 3)
        gen.muted = _ids(rng, spec.mutes, 4)
        people = _people(rng, gen.following, 300) + _people(rng, _ids(rng, 60, 5), 60)
        if era.classic:
            private.write_classic(sink, gen, rng, people)
        else:
            _write_gdpr(sink, gen, rng, people)
        gen.members = list(sink.names)
    finally:
        sink.close()
    return gen


def _write_gdpr(sink: ZipSink, gen: Generated, rng: random.Random, people: list[Person]) -> None:
    spec, era = gen.spec, gen.era
    layout = Layout(era.layout)
    data = "data/" if era.data_folder else ""
    files: dict[str, list[tuple[str, str, int]]] = {}  # manifest dataTypes

    def record(kind: str, parts: dict[int, int]) -> None:
        base = kind
        camel = base.split("-")[0] + "".join(w.title() for w in base.split("-")[1:])
        for part, count in sorted(parts.items()):
            name = f"{data}{base}{'' if part == 0 else f'-part{part}'}.js"
            glob = f"YTD.{base.replace('-', '_')}.part{part}"
            files.setdefault(camel, []).append((name, glob, count))

    def small(kind: str, records: Sequence[object]) -> None:
        prefix = f"window.YTD.{kind.replace('-', '_')}.part0 = "
        sink.write_text(f"{data}{kind}.js", layout.file(prefix, records))
        record(kind, {0: len(records)})

    account = {
        "email": private.EMAIL,
        "createdVia": "web",
        "username": gen.owner.handle,
        "accountId": str(gen.owner.id),
        "createdAt": iso(gen.owner_created),
        "accountDisplayName": gen.owner.name,
    }
    if not era.userlink:
        account = {"phoneNumber": private.PHONE, **account}
    small("account", [{"account": account}])
    small(
        "profile",
        [
            {
                "profile": {
                    "description": {
                        "bio": "Maps & open data. Now @alice.example.org",
                        "website": "https://t.co/0ZIZdtNyXL",
                        "location": "Lisbon, Portugal",
                    },
                    "avatarMediaUrl": "https://pbs.twimg.com/profile_images/1310114900820328448/tgUr6li7.jpg",
                }
            }
        ],
    )
    for kind, wrap, ids, target in (
        ("follower", "follower", gen.followers, gen.follower_parts),
        ("following", "following", gen.following, gen.following_parts),
        ("block", "blocking", gen.blocked, None),
        ("mute", "muting", gen.muted, None),
    ):
        edits = spec.user_edits and kind in ("follower", "following")
        parts = write_ids(
            sink,
            f"{data}{kind}",
            kind.replace("-", "_"),
            wrap,
            ids,
            layout,
            era.userlink,
            spec.part_size_bytes,
            bom=edits and kind == "follower",
            crlf=edits and kind == "following",
        )
        if target is not None:
            target.update(parts)
        record(kind, parts)
    stream = TweetStream(gen, rng, people, layout)
    tweet_kind = era.tweet_file
    record(tweet_kind, stream.write(sink, f"{data}{tweet_kind}", tweet_kind))
    if spec.both_tweet_files:
        other = "tweet" if tweet_kind == "tweets" else "tweets"
        record(other, stream.write_copy(sink, f"{data}{other}.js", other, 30))
    if spec.tweet_headers if spec.tweet_headers is not None else era.headers:
        record("tweet-headers", stream.write_headers(sink, f"{data}tweet-headers", layout))
    if era.notes:
        small("note-tweet", stream.notes)
    if era.community:
        small("community-tweet", stream.community_records(spec.community))
    if era.circle:
        record(
            "twitter-circle-tweet",
            stream.write_circle(sink, f"{data}twitter-circle-tweet", spec.circle),
        )
    likes = [
        {
            "like": {
                "tweetId": str(10**18 + i),
                **({} if i % 200 == 199 else {"fullText": words(rng, 8)}),
                "expandedUrl": f"https://twitter.com/i/web/status/{10**18 + i}",
            }
        }
        for i in range(spec.likes)
    ]
    gen.likes = len(likes)
    record("like", write_records(sink, f"{data}like", "like", likes, layout))
    gen.lists = spec.lists
    urls = [f"https://twitter.com/{gen.owner.handle}/lists/list-{i}" for i in range(spec.lists)]
    if era.layout == "2022":
        small("lists-created", [{"userListInfo": {"url": u}} for u in urls])
    else:
        small("lists-created", [{"userListInfo": {"urls": urls}}] if urls else [])
    small("lists-member", [])
    small(
        "screen-name-change",
        [
            {
                "screenNameChange": {
                    "accountId": str(gen.owner.id),
                    "screenNameChange": {
                        "changedAt": "2025-09-06T13:03:00.000Z",
                        "changedFrom": f"OldAlice{gen.spec.seed}",
                        "changedTo": gen.owner.handle,
                    },
                }
            }
        ],
    )
    small("verified", [{"verified": {"accountId": str(gen.owner.id), "verified": False}}])
    history = (
        [{"protectedHistory": {"protectedAt": "2024-11-02T10:11:12.000Z", "action": "Protect"}}]
        if spec.protected
        else []
    )
    small("protected-history", history)
    if spec.canaries:
        for kind, records in private.private_files(gen, era).items():
            small(kind, records)
            gen.private_members.append(f"{data}{kind}.js")
        private.write_private_media(sink, gen, data)
    stream.write_media(sink, data)
    private.write_assets(sink, gen, data)
    if era.manifest if spec.manifest is None else spec.manifest:
        _write_manifest(sink, gen, data, files)


def _write_manifest(
    sink: ZipSink, gen: Generated, data: str, files: dict[str, list[tuple[str, str, int]]]
) -> None:
    media_dirs = {
        "tweets": gen.era.media_dir,
        "tweet": gen.era.media_dir,
        "profile": "profile_media",
        "directMessages": "direct_messages_media",
    }
    types: dict[str, object] = {}
    for camel in sorted(files):
        entry: dict[str, object] = {}
        if camel in media_dirs:
            entry["mediaDirectory"] = f"{data}{media_dirs[camel]}"
        entry["files"] = [
            {"fileName": name, "globalName": glob, "count": str(count)}
            for name, glob, count in files[camel]
        ]
        types[camel] = entry
    manifest = {
        "userInfo": {
            "accountId": str(gen.owner.id),
            "userName": gen.owner.handle,
            "displayName": gen.owner.name,
        },
        "archiveInfo": {
            "sizeBytes": "35188512",
            "generationDate": iso(gen.generated_at).replace(".000Z", ".187Z"),
            "isPartialArchive": False,
            "maxPartSizeBytes": "53687091200",
        },
        "readmeInfo": {"fileName": f"{data}README.txt", "directory": data, "name": "README.txt"},
        "dataTypes": types,
    }
    sink.write_text(f"{data}manifest.js", "window.__THAR_CONFIG = " + dump2019(manifest))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.archivegen", description=__doc__.split("\n\n")[0]
    )
    defaults = ArchiveSpec()
    for spec_field in fields(ArchiveSpec):
        flag = "--" + spec_field.name.replace("_", "-")
        value = getattr(defaults, spec_field.name)
        if isinstance(value, bool):
            parser.add_argument(
                flag,
                type=lambda s: s.lower() in ("1", "true", "yes"),
                default=value,
                metavar="BOOL",
            )
        elif isinstance(value, tuple):
            parser.add_argument(flag, default=",".join(value), help="comma-separated")
        elif value is None:
            parser.add_argument(
                flag,
                type=lambda s: s.lower() in ("1", "true", "yes"),
                default=None,
                metavar="BOOL",
            )
        else:
            parser.add_argument(flag, type=type(value), default=value)
    parser.add_argument("out", type=Path)
    args = vars(parser.parse_args(argv))
    out = args.pop("out")
    args["flavours"] = tuple(f for f in str(args["flavours"]).split(",") if f)
    gen = generate(ArchiveSpec(**args), out)
    print(
        f"{out}: era {gen.spec.era}, {len(gen.followers)} followers, "
        f"{len(gen.following)} following, {gen.tweet_records} tweet records "
        f"in {len(gen.tweet_parts)} part(s), {out.stat().st_size:,} bytes"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
