"""Private files are never opened: canaries never reach the parsed archive or the logs."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import pytest

from chatbot.archive import open_archive, read_archive
from devtools.archivegen_private import EMAIL, PHONE

from .conftest import Make, extract, pickled_text

PRIVATE_WORDS = (
    "direct",
    "message",
    "ip-audit",
    "email",
    "phone",
    "contact",
    "device",
    "ageinfo",
    "personalization",
    "grok",
    "deleted",
    "sso",
    "key-registry",
    "saved-search",
    "connected",
    "ad-",
    "creation-ip",
)


@pytest.mark.parametrize("era", ["B", "C", "D", "F", "G", "H"])
@pytest.mark.parametrize("hints", [False, True])
def test_no_canary_anywhere(
    make_archive: Make, era: str, hints: bool, caplog: pytest.LogCaptureFixture
) -> None:
    gen = make_archive(era=era, tweets=60, seed=3)
    assert len(gen.canaries) > 15 and gen.private_members
    caplog.set_level(logging.DEBUG)
    parsed = read_archive([gen.path], hints=hints)
    text = pickled_text(parsed)
    logs = caplog.text + "".join(str(r.args) for r in caplog.records)
    for canary in gen.canaries:
        assert canary not in text, canary
        assert canary not in logs, canary
    assert EMAIL not in text and PHONE not in text
    for name in parsed.files_read:
        assert not any(word in name for word in PRIVATE_WORDS), name
    assert not set(parsed.files_read) & set(gen.private_members)
    # the owner's handle is personal data too: never logged
    assert gen.owner.handle not in logs


def test_no_canary_in_lazy_tweets(make_archive: Make) -> None:
    gen = make_archive(era="H", tweets=60, seed=3)
    with open_archive([gen.path]) as source:
        tweets = list(source.iter_tweets())
        read = list(source.files_read)
    text = repr(tweets) + pickle.dumps(tweets).decode("latin-1")
    assert tweets
    for canary in gen.canaries:
        assert canary not in text
    for name in read:
        assert not any(word in name for word in PRIVATE_WORDS), name


def test_private_loose_files_are_not_read(make_archive: Make, tmp_path: Path) -> None:
    gen = make_archive(era="H", tweets=20, seed=4)
    paths = extract(
        gen, tmp_path, "following.js", "direct-messages.js", "ip-audit.js", "account.js"
    )
    renamed = tmp_path / "upload-1234.js"  # a private file under a meaningless name
    renamed.write_bytes((tmp_path / "ip-audit.js").read_bytes())
    parsed = read_archive([*paths, renamed])
    assert parsed.files_read == ["account.js", "following.js"]
    text = pickled_text(parsed)
    for canary in gen.canaries:
        assert canary not in text
    assert parsed.owner.account_id == str(gen.owner.id)


def test_account_keeps_only_four_fields(make_archive: Make) -> None:
    gen = make_archive(era="B", tweets=10, seed=6)  # 2018 account.js also has phoneNumber
    parsed = read_archive([gen.path], hints=False)
    assert parsed.owner.username == gen.owner.handle
    assert EMAIL not in pickled_text(parsed) and PHONE not in pickled_text(parsed)
