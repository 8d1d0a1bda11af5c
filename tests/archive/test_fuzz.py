"""Property-based fuzzing: nothing but ArchiveError ever escapes the reader."""

from __future__ import annotations

import contextlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatbot.archive import ArchiveError, read_archive
from chatbot.archive.follows import ACCOUNT_ID, scan
from chatbot.archive.records import iter_records
from chatbot.archive.wrapper import loads, parse_header
from devtools.archivegen import ArchiveSpec, generate

FAST = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
PREFIXES = [
    b"",
    b"\xef\xbb\xbf",
    b"window.YTD.follower.part0 = ",
    b"window.YTD.tweets.part12 =",
    b"window.__THAR_CONFIG = ",
    b"Grailbird.data.tweets_2019_02 = \n",
    b"var tweet_index =  ",
    b"window.YTD..part = ",
    b"window.YTD.x.part0",
]
BODIES = [
    b"[ ]",
    b'[ {\n  "follower" : {\n    "accountId" : "12"\n  }\n} ]',
    b'[\n  {\n    "tweet" : {\n      "id_str" : "20"\n    }\n  },\n  {\n    "a" : 1\n  }\n]',
    b"{ }",
    b'[{"a":[1,2,{"b":null}]}]',
    b"[",
    b"]",
    b"[\n  {\n  },\n  {",
    b'"x"',
]
data_files = st.builds(
    lambda p, b, noise, cut, tail: (p + b + tail + noise)[: cut or None],
    st.sampled_from(PREFIXES),
    st.sampled_from(BODIES),
    st.binary(max_size=40),
    st.integers(min_value=0, max_value=200),
    st.sampled_from([b"", b";", b";\n", b"\r\n"]),
)


def _error(call: Callable[[], object]) -> ArchiveError | None:
    try:
        call()
    except ArchiveError as error:
        return error
    return None


def _drain(data: bytes) -> None:
    for reader in (
        lambda: loads(data, "f.js"),
        lambda: list(iter_records(io.BytesIO(data), "f.js")),
        lambda: scan(io.BytesIO(data), "f.js", ACCOUNT_ID, lambda found: None),
    ):
        error = _error(reader)
        assert error is None or (error.code == "malformed" and error.params == {"file": "f.js"})


@FAST
@given(data_files)
def test_wrapper_and_streams_on_structured_garbage(data: bytes) -> None:
    _drain(data)


@FAST
@given(st.binary(max_size=300))
def test_wrapper_and_streams_on_random_bytes(data: bytes) -> None:
    with contextlib.suppress(ArchiveError):
        parse_header(data, "f.js")
    _drain(data)


_SMALL: dict[str, bytes] = {}
CODES_SEEN: dict[str, int] = {}


def _small_zip(tmp: Path, flavour: str) -> bytes:
    if flavour not in _SMALL:
        spec = ArchiveSpec(
            era="H",
            tweets=6,
            followers=6,
            following=6,
            likes=2,
            notes=1,
            flavours=(flavour,),
            canaries=False,
            assets="none",
            seed=40,
        )
        _SMALL[flavour] = generate(spec, tmp / f"small-{flavour}.zip").path.read_bytes()
    return _SMALL[flavour]


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    flavour=st.sampled_from(["store", "deflate"]),
    edits=st.lists(
        st.tuples(st.floats(0.01, 1, exclude_max=True), st.integers(0, 255)), max_size=6
    ),
    cut=st.one_of(st.just(1.0), st.just(1.0), st.floats(0.05, 0.98)),
    hints=st.booleans(),
)
def test_mutated_zips_raise_only_archive_errors(
    tmp_path_factory: pytest.TempPathFactory,
    flavour: str,
    edits: list[tuple[float, int]],
    cut: float,
    hints: bool,
) -> None:
    folder = tmp_path_factory.getbasetemp()
    data = bytearray(_small_zip(folder, flavour))
    for where, value in edits:
        data[int(where * len(data))] = value
    data = data[: max(1, int(len(data) * cut))] if cut < 0.99 else data
    path = folder / "mutated.zip"
    path.write_bytes(bytes(data))
    error = _error(lambda: read_archive([path], hints=hints))
    code = error.code if error is not None else "ok"
    CODES_SEEN[code] = CODES_SEEN.get(code, 0) + 1


def test_mutations_reach_several_outcomes() -> None:
    if CODES_SEEN:  # run after the fuzz test (file order): it must not be all-or-nothing
        assert len(CODES_SEEN) >= 2, CODES_SEEN


def test_fuzz_fixture_zip_is_valid(tmp_path: Path) -> None:
    assert zipfile.ZipFile(io.BytesIO(_small_zip(tmp_path, "store"))).testzip() is None


_MEMBERS = [
    "data/manifest.js",
    "data/follower.js",
    "data/tweets.js",
    "data/account.js",
    "data/note-tweet.js",
    "data/tweet-headers.js",
    "data/like.js",
    "data/profile.js",
]


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    member=st.sampled_from(_MEMBERS),
    edits=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.sampled_from(list(b'{}[]",:\n \\0a-'))),
        min_size=1,
        max_size=4,
    ),
    hints=st.booleans(),
)
def test_mutated_members_in_valid_zips(
    tmp_path_factory: pytest.TempPathFactory,
    member: str,
    edits: list[tuple[float, int]],
    hints: bool,
) -> None:
    folder = tmp_path_factory.getbasetemp()
    source = zipfile.ZipFile(io.BytesIO(_small_zip(folder, "deflate")))
    path = folder / "mutated-member.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = bytearray(source.read(info))
            if info.filename == member:
                for where, value in edits:
                    data[int(where * len(data))] = value
            out.writestr(info.filename, bytes(data))
    error = _error(lambda: read_archive([path], hints=hints))
    code = error.code if error is not None else "ok"
    MEMBER_CODES[code] = MEMBER_CODES.get(code, 0) + 1
    assert code in ("ok", "malformed"), error


MEMBER_CODES: dict[str, int] = {}
