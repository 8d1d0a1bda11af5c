"""What users type: handles, app passwords, instance addresses."""

from __future__ import annotations

import pytest

from chatbot.accounts import ConnectFailed
from chatbot.accounts.bluesky import looks_like_app_password, normalize_handle
from chatbot.accounts.mastodon import instance_url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@Alice.bsky.social", "alice.bsky.social"),
        (" bob.example.org ", "bob.example.org"),
        ("did:plc:abc123", "did:plc:abc123"),
        ("alice", None),
        ("hunter2", None),
        ("not a handle.com", None),
        ("-bad.example", None),
    ],
)
def test_handles(text: str, expected: str | None) -> None:
    assert normalize_handle(text) == expected


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
