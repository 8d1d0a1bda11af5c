"""The ``window.YTD.<var>.part<N> = `` wrapper grammar (§3) and record streaming."""

from __future__ import annotations

import io

import pytest

from chatbot.archive import ArchiveError, follows, records
from chatbot.archive.follows import ACCOUNT_ID, extract_ids
from chatbot.archive.names import allowed_data_name, clean_loose_name, normalise, parse_data_name
from chatbot.archive.records import iter_records
from chatbot.archive.wrapper import loads, parse_header

FOLLOW_2019 = (
    b'window.YTD.follower.part0 = [ {\n  "follower" : {\n    "accountId" : "73747798"\n  }\n'
    b'}, {\n  "follower" : {\n    "accountId" : "386025404"\n  }\n} ]'
)
LINK = "https://twitter.com/intent/user?user_id="


@pytest.mark.parametrize(
    ("head", "kind", "var", "part"),
    [
        (b"window.YTD.tweets.part0 = [", "ytd", "tweets", 0),
        (b"window.YTD.tweets.part12 = [", "ytd", "tweets", 12),
        (b"\xef\xbb\xbfwindow.YTD.note_tweet.part0 = [ ]", "ytd", "note_tweet", 0),
        (b"  YTD.follower.part3=[", "ytd", "follower", 3),
        (b"window.__THAR_CONFIG = {", "manifest", None, None),
        (b"Grailbird.data.tweets_2019_02 = \n[ {", "grailbird", "tweets_2019_02", None),
        (b"var tweet_index =  [ {", "classic", "tweet_index", None),
        (b"\r\n[ ]", "json", None, None),
        (b'{"a": 1}', "json", None, None),
    ],
)
def test_prefixes(head: bytes, kind: str, var: str | None, part: int | None) -> None:
    header = parse_header(head, "f.js")
    assert (header.kind, header.var, header.part) == (kind, var, part)
    assert head[header.offset : header.offset + 1] in (b"[", b"{")


@pytest.mark.parametrize("head", [b"", b"%PDF-1.4", b"window.YTD = [", b"eval(1)", b"\x00\x01"])
def test_bad_prefixes(head: bytes) -> None:
    with pytest.raises(ArchiveError) as info:
        parse_header(head, "x.js")
    assert info.value.code == "malformed" and info.value.params == {"file": "x.js"}


def test_user_link_equals_sign_and_trailing_semicolon() -> None:
    record = f'{{"follower": {{"accountId": "12", "userLink": "{LINK}12"}}}}'
    data = f"window.YTD.follower.part0 = [ {record} ];\n"
    header, value = loads(data.encode(), "follower.js")
    assert header.data_type == "follower" and value[0]["follower"]["userLink"] == LINK + "12"


def test_extract_ids_both_layouts_and_plain_json() -> None:
    ids, header = extract_ids(io.BytesIO(FOLLOW_2019), "follower.js")
    assert list(ids) == [73747798, 386025404] and header.part == 0
    ids, _ = extract_ids(io.BytesIO(b'[{"following":{"accountId":"5"}}]'), "f.js")
    assert list(ids) == [5]
    ids, _ = extract_ids(io.BytesIO(b"window.YTD.block.part0 = [ ]"), "block.js")
    assert list(ids) == []
    with pytest.raises(ArchiveError):
        extract_ids(io.BytesIO(FOLLOW_2019[:-3]), "follower.js")


def test_huge_ids_are_skipped() -> None:
    data = b'window.YTD.follower.part0 = [ {"follower":{"accountId":"9999999999999999999"}} ]'
    assert list(extract_ids(io.BytesIO(data), "follower.js")[0]) == []


@pytest.mark.parametrize("chunk", [7, 64, 1000])
def test_small_chunks(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(follows, "CHUNK", chunk)
    monkeypatch.setattr(records, "CHUNK", chunk)
    body = ",\n".join(
        f'  {{\n    "following" : {{\n      "accountId" : "{i}",\n'
        f'      "userLink" : "{LINK}{i}"\n    }}\n  }}'
        for i in range(1, 300)
    )
    data = ("window.YTD.following.part0 = [\n" + body + "\n]").encode()
    assert list(extract_ids(io.BytesIO(data), "f.js")[0]) == list(range(1, 300))
    recs = list(iter_records(io.BytesIO(data), "f.js"))
    assert [int(r["following"]["accountId"]) for r in recs] == list(range(1, 300))
    crlf = data.replace(b"\n", b"\r\n") + b";"
    assert len(list(iter_records(io.BytesIO(crlf), "f.js"))) == 299
    assert len(list(iter_records(io.BytesIO(FOLLOW_2019), "f.js"))) == 2
    found: list[bytes] = []
    follows.scan(io.BytesIO(data), "f.js", ACCOUNT_ID, lambda m: found.extend(m))  # type: ignore[arg-type]
    assert len(found) == 299


def test_empty_arrays() -> None:
    for data in (b"window.YTD.note_tweet.part0 = [ ]", b"window.YTD.x.part0 = []\n", b"[ ];"):
        assert list(iter_records(io.BytesIO(data), "n.js")) == []
    with pytest.raises(ArchiveError):
        list(iter_records(io.BytesIO(b"window.YTD.x.part0 = [ ] [ ]"), "n.js"))


def test_names() -> None:
    assert parse_data_name("tweets-part2.js") == parse_data_name("TWEETS-PART2.JS")
    assert allowed_data_name("direct-messages.js") is None
    assert allowed_data_name("ip-audit.js") is None
    assert allowed_data_name("twitter-circle-tweet.js") is not None
    assert allowed_data_name("twitter-circle.js") is None
    assert clean_loose_name("follower (2).js.txt") == "follower.js"
    assert normalise("__MACOSX/data/._follower.js") is None
    assert normalise("top\\data\\follower.js") == "top/data/follower.js"
    assert normalise("../data/x.js") is None and normalise("data/") is None
