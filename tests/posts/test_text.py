"""Tweet text to Bluesky post texts: t.co links, facets, byte offsets, thread split."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatbot.posts.text import (
    BYTE_LIMIT,
    GRAPHEME_LIMIT,
    Facet,
    PostText,
    compose,
    graphemes,
    post_langs,
    short_link,
)

LONG = "https://www.example.com/a/very/long/path?x=1"
DID = "did:plc:abcdefghijklmnopqrstuvwx"


def shown(post: PostText, facet: Facet) -> str:
    return post.text.encode()[facet.start : facet.end].decode()


def assert_valid(posts: list[PostText], limit: int = GRAPHEME_LIMIT) -> None:
    for post in posts:
        assert graphemes(post.text) <= limit
        assert len(post.text.encode()) <= BYTE_LIMIT
        assert post.text == post.text.strip()
        starts = [f.start for f in post.facets]
        assert starts == sorted(starts)
        for facet, following in zip(post.facets, post.facets[1:], strict=False):
            assert facet.end <= following.start
        for facet in post.facets:
            token = shown(post, facet)
            if facet.kind == "mention":
                assert token.startswith("@")
            elif facet.kind == "tag":
                assert token[1:] == facet.value
                assert token[0] in "#＃"
            else:
                assert token == short_link(facet.value)


def one(text: str, **kwargs: object) -> PostText:
    posts = compose(text, **kwargs)  # type: ignore[arg-type]
    assert len(posts) == 1
    assert_valid(posts)
    return posts[0]


def test_short_link() -> None:
    assert short_link(LONG) == "example.com/a/very/long/path…"
    assert short_link("https://example.com/") == "example.com"
    assert short_link("http://www.Example.COM/x?y=1#z") == "example.com/x?y=1#z"
    assert len(short_link("https://example.com/" + "a" * 100)) == 30


def test_two_tco_links_expanded() -> None:
    post = one(
        "Read https://t.co/aaa and https://t.co/bbb",
        urls=[("https://t.co/aaa", LONG), ("https://t.co/bbb", "https://bsky.app/")],
    )
    assert post.text == "Read example.com/a/very/long/path… and bsky.app"
    assert [(f.kind, f.value) for f in post.facets] == [
        ("link", LONG),
        ("link", "https://bsky.app/"),
    ]
    assert post.record_facets()[0] == {
        "$type": "app.bsky.richtext.facet",
        "index": {"byteStart": 5, "byteEnd": 36},
        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": LONG}],
    }


def test_repeated_and_unknown_tco() -> None:
    post = one(
        "https://t.co/aaa, again https://t.co/aaa. And https://t.co/zzz!",
        urls=[("https://t.co/aaa", "https://example.org/page")],
    )
    assert post.text == "example.org/page, again example.org/page. And t.co/zzz!"
    assert [f.value for f in post.facets] == [
        "https://example.org/page",
        "https://example.org/page",
        "https://t.co/zzz",
    ]


def test_tco_prefix_of_another_is_not_confused() -> None:
    post = one(
        "https://t.co/ab https://t.co/abc",
        urls=[
            ("https://t.co/ab", "https://one.example/"),
            ("https://t.co/abc", "https://two.example/"),
        ],
    )
    assert post.text == "one.example two.example"


def test_tco_glued_to_text() -> None:
    post = one(
        "Fin du texte…https://t.co/aaa", urls=[("https://t.co/aaa", "https://example.org/")]
    )
    assert post.text == "Fin du texte…example.org"
    assert post.facets[0].value == "https://example.org/"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My photo https://t.co/pic", "My photo"),
        ("https://t.co/pic", ""),
        ("Line one\n\nhttps://t.co/pic", "Line one"),
        ("A https://t.co/pic B", "A B"),
        ("https://t.co/pic\nNext line", "Next line"),
        ("Two https://t.co/pic https://t.co/pic", "Two"),
    ],
)
def test_media_link_removed(text: str, expected: str) -> None:
    post = one(text, drop_links=["https://t.co/pic"])
    assert post == PostText(expected)


def test_media_link_only_removes_that_link() -> None:
    post = one("See https://t.co/pic2 https://t.co/pic", drop_links=["https://t.co/pic"])
    assert post.text == "See t.co/pic2"


def test_empty_text() -> None:
    assert compose("") == [PostText("")]
    assert compose("  \n ") == [PostText("")]


@pytest.mark.parametrize("prefix", ["é à ", "😀👍🏽 ", "日本語のテキスト ", "🇫🇷🇺🇦 ", "👨‍👩‍👧 "])
def test_byte_offsets_after_multibyte_text(prefix: str) -> None:
    post = one(
        prefix + "lien https://t.co/aaa @Alice #Climat",
        urls=[("https://t.co/aaa", LONG)],
        mentions={"alice": DID},
    )
    assert [shown(post, f) for f in post.facets] == [
        "example.com/a/very/long/path…",
        "@Alice",
        "#Climat",
    ]
    assert post.facets[0].start == len((prefix + "lien ").encode())


def test_plain_urls_are_links() -> None:
    post = one("(see https://en.wikipedia.org/wiki/Foo_(bar)) and https://example.com/x.")
    assert [f.value for f in post.facets] == [
        "https://en.wikipedia.org/wiki/Foo_(bar)",
        "https://example.com/x",
    ]
    assert post.text.endswith(" and example.com/x.")


def test_mentions() -> None:
    post = one(
        "@Alice hi @bob and @carol_ mail me at me@alice.com",
        mentions={"alice": DID, "carol_": "did:plc:carol"},
    )
    assert [(shown(post, f), f.value) for f in post.facets] == [
        ("@Alice", DID),
        ("@carol_", "did:plc:carol"),
    ]
    assert post.facets[0].to_record()["features"] == [
        {"$type": "app.bsky.richtext.facet#mention", "did": DID}
    ]
    assert post.text == "@Alice hi @bob and @carol_ mail me at me@alice.com"


def test_email_is_not_a_mention() -> None:
    assert one("write to alice@example.com", mentions={"example": DID}).facets == ()


def test_hashtags() -> None:
    post = one("#Climat #2024 #été_2024 x#no &#39; #2024Vote ##double")
    assert [f.value for f in post.facets] == ["Climat", "été_2024", "2024Vote"]
    assert post.facets[0].to_record()["features"] == [
        {"$type": "app.bsky.richtext.facet#tag", "tag": "Climat"}
    ]


def test_too_long_hashtag_is_plain_text() -> None:
    assert one("#" + "a" * 65).facets == ()
    assert len(one("#" + "a" * 64).facets) == 1


def test_graphemes() -> None:
    flags = "🇫🇷" * 300
    assert len(flags) == 600
    assert graphemes(flags) == 300
    assert graphemes("é👨‍👩‍👧") == 2
    assert compose(flags) == [PostText(flags)]
    assert len(compose(flags + "🇫🇷")) == 2


def test_long_text_becomes_a_thread() -> None:
    words = [f"mot{i}" for i in range(180)]
    words[40] = "https://t.co/aaa"
    words[100] = "https://example.com/" + "p" * 40
    text = " ".join(words)
    assert len(text) > 1000
    posts = compose(text, urls=[("https://t.co/aaa", LONG)])
    assert len(posts) > 1
    assert_valid(posts)
    words[40] = LONG  # what the t.co link stood for
    expected = [short_link(w) if w.startswith("https") else w for w in words]
    assert " ".join(p.text for p in posts).split() == expected
    assert sum(len(p.facets) for p in posts) == 2


def test_split_prefers_paragraphs_and_sentences() -> None:
    first = "a" * 20 + " " + "word " * 45 + "end."
    text = first + "\n\nSecond paragraph. " + "more words " * 30
    posts = compose(text)
    assert posts[0].text == first.strip()
    sentences = "This is a sentence. " * 20
    posts = compose(sentences)
    assert_valid(posts)
    assert all(p.text.endswith("sentence.") for p in posts)


def test_long_word_is_hard_split() -> None:
    posts = compose("x" * 700)
    assert [len(p.text) for p in posts] == [300, 300, 100]


def test_byte_limit_splits() -> None:
    posts = compose("日本 " * 200, limit=1000, byte_limit=100)
    assert all(len(p.text.encode()) <= 100 for p in posts)
    assert "".join(p.text for p in posts).replace(" ", "") == "日本" * 200


def test_link_never_split() -> None:
    text = "!" * 290 + "https://example.com/page"
    posts = compose(text)
    assert_valid(posts)
    assert [len(p.facets) for p in posts] == [0, 1]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", ["fr"]),
        ("en", ["en"]),
        ("in", ["id"]),
        ("iw", ["he"]),
        ("pt-BR", ["pt-BR"]),
        ("zh-cn", ["zh-CN"]),
        ("fil", ["fil"]),
        (None, []),
        ("", []),
        ("und", []),
        ("zxx", []),
        ("qme", []),
        ("qht", []),
        ("qam", []),
        ("qct", []),
        ("qst", []),
        ("art", []),
        ("english", []),
        ("f", []),
    ],
)
def test_post_langs(lang: str | None, expected: list[str]) -> None:
    assert post_langs(lang) == expected


WORDS = st.one_of(
    st.text(alphabet="abcdéà日本😀🇫🇷👨‍👩‍👧.!?,", min_size=1, max_size=12),
    st.sampled_from(["https://t.co/aaa", "https://t.co/bbb", "https://t.co/pic", LONG]),
    st.sampled_from(["@alice", "@Bob", "@nobody", "#tag", "#été", "#123", "a@b.c"]),
    st.builds(lambda n: "https://example.com/" + "z" * n, st.integers(0, 80)),
    st.text(alphabet="x😀", min_size=50, max_size=400),
)
SEPARATORS = st.sampled_from([" ", "  ", "\n", "\n\n", ". ", " (", ") "])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(WORDS, SEPARATORS), max_size=80), st.sampled_from([300, 50, 20]))
def test_property_chunks_fit_and_facets_decode(parts: list[tuple[str, str]], limit: int) -> None:
    text = "".join(word + sep for word, sep in parts)
    posts = compose(
        text,
        urls=[("https://t.co/aaa", LONG), ("https://t.co/bbb", "https://bsky.app/profile/x")],
        drop_links=["https://t.co/pic"],
        mentions={"alice": DID, "bob": "did:plc:bob"},
        limit=limit,
    )
    assert posts
    assert_valid(posts, limit)
    assert all(p.text for p in posts) or posts == [PostText("")]
    for post in posts:
        assert "https://t.co/pic" not in post.text
        assert not re.search(r"(?<!\S)https?://", post.text)  # every link is shown short
