"""What users type: handles, app passwords, instance addresses."""

from __future__ import annotations

import pytest

from chatbot.accounts import ConnectFailed
from chatbot.accounts.bluesky import looks_like_app_password
from chatbot.accounts.identifiers import BadIdentifier, parse_identifier
from chatbot.accounts.mastodon import instance_url

PLC = "did:plc:" + "abcdefghijklmnopqrstuvwx"


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("@Alice.bsky.social", "handle", "alice.bsky.social"),
        (" bob.example.org ", "handle", "bob.example.org"),
        ("bob.example.org.", "handle", "bob.example.org"),  # a trailing dot
        ("\uff20Alice.Bsky.Social", "handle", "alice.bsky.social"),  # full-width ＠
        ("\u200balice\u200d.bsky.social\ufeff", "handle", "alice.bsky.social"),  # zero-width
        ("\u202eAlice.bsky.social\u2069", "handle", "alice.bsky.social"),  # bidi controls
        ("\u00a0@@alice.bsky.social\u3000", "handle", "alice.bsky.social"),  # odd spaces
        ("ａｌｉｃｅ.bsky.social", "handle", "alice.bsky.social"),  # full-width letters
        ("https://bsky.app/profile/Alice.bsky.social", "handle", "alice.bsky.social"),
        ("bsky.app/profile/alice.bsky.social/post/3k2a", "handle", "alice.bsky.social"),
        ("https://www.bsky.app/profile/alice.example.org?x=1", "handle", "alice.example.org"),
        (f"https://bsky.app/profile/{PLC}", "did", PLC),
        (f"https://bsky.app/profile/{PLC.replace(':', '%3A')}", "did", PLC),
        ("at://alice.example.org/app.bsky.feed.post/3k", "handle", "alice.example.org"),
        (PLC.upper(), "did", PLC),
        ("did:web:alice.example.org", "did", "did:web:alice.example.org"),
        ("Me@Example.ORG", "email", "me@example.org"),
        ("first.last+bsky@mail.example.com", "email", "first.last+bsky@mail.example.com"),
    ],
)
def test_identifiers(text: str, kind: str, value: str) -> None:
    found = parse_identifier(text, default_suffix="bsky.social")
    assert (found.kind, found.value, found.completed) == (kind, value, False)


@pytest.mark.parametrize("text", ["alice", "@Alice", " ALICE. ", "\uff20alice"])
def test_a_bare_name_gets_the_default_suffix(text: str) -> None:
    found = parse_identifier(text, default_suffix="test")
    assert (found.kind, found.value, found.completed, found.typed) == (
        "handle", "alice.test", True, "alice"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("hunter2!", "bad"),
        ("not a handle.com", "bad"),
        ("-bad.example", "bad"),
        ("did:plc:abc123", "bad"),  # not a real did:plc (24 base32 characters)
        ("did:key:z6Mk", "bad"),
        ("", "bad"),
        ("a" * 300 + ".example", "bad"),
        ("@me@mastodon.social", "fediverse"),
        ("alice.mastodon.social.ap.brid.gy", "bridged"),
        ("https://example.org/@alice", "url"),
        ("https://bsky.app/settings", "url"),
        ("me@localhost", "fediverse"),  # no e-mail without a domain name: user@server
    ],
)
def test_what_is_not_an_identifier(text: str, reason: str) -> None:
    with pytest.raises(BadIdentifier) as caught:
        parse_identifier(text, default_suffix="bsky.social")
    assert caught.value.reason == reason


def test_app_password_shape() -> None:
    assert looks_like_app_password("abcd-efgh-ijkl-mnop")
    assert not looks_like_app_password("alice.bsky.social")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mastodon.social", "https://mastodon.social"),
        ("https://Mastodon.Social/", "https://mastodon.social"),
        ("@me@fosstodon.org", "https://fosstodon.org"),
        ("me@fosstodon.org", "https://fosstodon.org"),
        ("https://example.org/@me", "https://example.org"),
    ],
)
def test_instances(text: str, expected: str) -> None:
    assert instance_url(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # "localhost", "127.1", "[::1]"... are well-formed: the egress policy refuses them
        # when connecting, with the reply of a host that does not answer (tests/egress)
        ("exa_mple.org", "bad_instance"),
        ("ftp://example.org", "bad_instance"),
        ("http://example.org", "http_refused"),
        ("exa mple.org", "bad_instance"),
    ],
)
def test_bad_instances(text: str, reason: str) -> None:
    with pytest.raises(ConnectFailed) as caught:
        instance_url(text)
    assert caught.value.reason == reason
    assert instance_url("http://127.0.0.1:3000", allow_http=True) == "http://127.0.0.1:3000"
