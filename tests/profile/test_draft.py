"""The pure part of /profile (limits, graphemes, t.co) and the pictures kept at upload."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatbot.archive import Owner, ParsedArchive, Profile, read_archive
from chatbot.archive.profile_media import (
    MAX_IMAGE_BYTES,
    extract_profile_images,
    forget_profile_images,
    image_type,
    stored_images,
)
from chatbot.migration.profile import LIMITS, draft_profile, graphemes, truncate
from chatbot.migration.profile_write import BLUESKY_BLOB_MAX, fit_image
from tests.profile.archive import ACCOUNT_ID, picture, profile_archive


def archive(name: str | None, bio: str | None, website: str | None = None) -> ParsedArchive:
    parsed = ParsedArchive(era="manifest")
    parsed.owner = Owner(account_id="1", username="a", display_name=name)
    parsed.profile = Profile(bio=bio, website=website)
    return parsed


def test_graphemes_keep_emoji_sequences_and_accents_together() -> None:
    family = "👩\u200d👩\u200d👧\u200d👦"
    assert graphemes(f"e\u0301{family}🇵🇹👍🏽x") == ["e\u0301", family, "🇵🇹", "👍🏽", "x"]
    assert len(graphemes("🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f!")) == 2
    assert graphemes("a\r\nb") == ["a", "\r\n", "b"]


def test_truncation_counts_graphemes_on_bluesky_and_characters_on_mastodon() -> None:
    name = "e\u0301" * 70  # 70 graphemes, 140 code points
    cut, shortened = truncate(name, LIMITS["bluesky"]["name"])
    assert shortened and cut.endswith("…") and len(graphemes(cut)) == 64
    assert truncate("🇵🇹" * 64, LIMITS["bluesky"]["name"]) == ("🇵🇹" * 64, False)
    cut, shortened = truncate("x" * 31, LIMITS["mastodon"]["name"])
    assert shortened and cut == "x" * 29 + "…"
    # the byte limit binds before the grapheme count: 64 graphemes of 11 bytes each
    heavy = "👩\u200d👩\u200d👧" * 64
    cut, shortened = truncate(heavy, LIMITS["bluesky"]["name"])
    assert shortened and len(cut.encode()) <= 640 and cut.endswith("…")


def test_draft_drops_the_tco_website_and_cuts_to_each_network() -> None:
    parsed = archive("A" * 40, "word " * 120, "https://t.co/0ZIZdtNyXL")
    bluesky = draft_profile(parsed, "bluesky")
    assert bluesky.website_dropped and "t.co" not in (bluesky.description or "")
    assert bluesky.display_name == "A" * 40 and bluesky.shortened == ("bio",)
    assert 250 < len(graphemes(bluesky.description or "")) <= 256
    mastodon = draft_profile(parsed, "mastodon")
    assert mastodon.display_name == "A" * 29 + "…" and mastodon.shortened == ("name", "bio")
    assert 490 < len(mastodon.description or "") <= 500
    assert not mastodon.empty and draft_profile(archive(None, None), "bluesky").empty


def test_a_real_website_is_kept_in_the_bio() -> None:
    draft = draft_profile(archive("A", "Hi", "https://example.org"), "mastodon")
    assert draft.description == "Hi\nhttps://example.org" and not draft.website_dropped


def test_fit_image_keeps_small_pictures_and_shrinks_big_ones() -> None:
    small = picture(400, 400)
    assert fit_image(small, BLUESKY_BLOB_MAX) == (small, "image/jpeg")
    big = picture(1500, 1000, noise=True)
    assert len(big) > BLUESKY_BLOB_MAX
    shrunk, mime = fit_image(big, BLUESKY_BLOB_MAX)
    assert mime == "image/jpeg" and len(shrunk) <= BLUESKY_BLOB_MAX and image_type(shrunk) == "jpg"
    webp = picture(50, 50, fmt="WEBP")
    assert fit_image(webp, BLUESKY_BLOB_MAX)[1] == "image/jpeg"  # Bluesky takes PNG/JPEG
    with pytest.raises(ValueError):
        fit_image(b"not a picture", BLUESKY_BLOB_MAX)


def test_upload_keeps_only_the_avatar_and_banner(tmp_path: Path) -> None:
    avatar, banner = picture(200, 200, fmt="PNG"), picture(600, 200)
    zipped = profile_archive(tmp_path / "x.zip", avatar=avatar, banner=banner)
    parsed = read_archive([zipped])
    assert parsed.owner.account_id == ACCOUNT_ID and parsed.profile.header_url
    data_dir = tmp_path / "data"
    kept = extract_profile_images([zipped], parsed, data_dir, 7)
    assert kept is not None and set(kept) == {"avatar", "banner"}
    assert kept["avatar"].name == "avatar.png" and kept["avatar"].read_bytes() == avatar
    assert kept["banner"].name == "banner.jpg" and kept["banner"].read_bytes() == banner
    assert oct(kept["avatar"].stat().st_mode & 0o777) == "0o600"
    files = sorted(p.name for p in data_dir.rglob("*") if p.is_file())
    assert files == ["avatar.png", "banner.jpg"]  # no DM media, no other profile file
    assert stored_images(data_dir, 7) == kept

    # loose data files keep the pictures of the earlier archive
    loose = tmp_path / "following.js"
    loose.write_text('window.YTD.following.part0 = [{"following": {"accountId": "42"}}]')
    assert extract_profile_images([loose], read_archive([loose]), data_dir, 7) is None
    assert stored_images(data_dir, 7) == kept
    # a whole archive without them replaces them
    bare = profile_archive(tmp_path / "bare.zip")
    assert extract_profile_images([bare], read_archive([bare]), data_dir, 7) == {}
    assert stored_images(data_dir, 7) == {}
    forget_profile_images(data_dir, 7)
    assert not (data_dir / "profiles" / "7").exists()


def test_oversized_or_fake_pictures_are_not_kept(tmp_path: Path) -> None:
    zipped = profile_archive(
        tmp_path / "x.zip", avatar=b"\xff\xd8\xff" + b"0" * MAX_IMAGE_BYTES, banner=b"<html>"
    )
    kept = extract_profile_images([zipped], read_archive([zipped]), tmp_path / "d", 1)
    assert kept == {}
