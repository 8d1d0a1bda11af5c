"""A small archive with profile.js and profile_media/ (the generator writes no profile media)."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

from PIL import Image

from tests.conversation.harness import make_zip

ACCOUNT_ID = "1234567890123456789"
AVATAR_URL = "https://pbs.twimg.com/profile_images/1310114900820328448/tgUr6li7.jpg"
HEADER_URL = f"https://pbs.twimg.com/profile_banners/{ACCOUNT_ID}/1623012868"
BIO = "Maps & open data 🗺️. Now @alice.example.org"
NAME = "Alice Cartographer 🌍"


def picture(width: int, height: int, *, noise: bool = False, fmt: str = "JPEG") -> bytes:
    """A real picture: flat colour, or random noise (which JPEG cannot compress)."""
    if noise:
        rng = random.Random(7)
        image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (30, 120, 200))
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return out.getvalue()


def _ytd(kind: str, records: list[object]) -> str:
    return f"window.YTD.{kind}.part0 = {json.dumps(records, ensure_ascii=False, indent=2)}"


def profile_archive(
    path: Path,
    *,
    name: str = NAME,
    bio: str = BIO,
    website: str = "https://t.co/0ZIZdtNyXL",
    avatar: bytes | None = None,
    banner: bytes | None = None,
) -> Path:
    account = {
        "account": {
            "email": "alice@example.org",
            "username": "alice_x",
            "accountId": ACCOUNT_ID,
            "createdAt": "2013-05-02T10:00:00.000Z",
            "accountDisplayName": name,
        }
    }
    profile = {
        "profile": {
            "description": {"bio": bio, "website": website, "location": "Lisbon"},
            "avatarMediaUrl": AVATAR_URL,
            "headerMediaUrl": HEADER_URL,
        }
    }
    follow = {
        "following": {"accountId": "42", "userLink": "https://twitter.com/intent/user?user_id=42"}
    }
    files: dict[str, Path | bytes | str] = {
        "data/account.js": _ytd("account", [account]),
        "data/profile.js": _ytd("profile", [profile]),
        "data/following.js": _ytd("following", [follow]),
        "data/profile_media/999-other.jpg": picture(10, 10),  # not named by profile.js
        "data/direct_messages_media/1750611000000000000-_LQcPug7.jpg": picture(20, 20),
    }
    if avatar is not None:
        files[f"data/profile_media/{ACCOUNT_ID}-tgUr6li7.jpg"] = avatar
    if banner is not None:
        files[f"data/profile_media/{ACCOUNT_ID}-1623012868.jpg"] = banner
    return make_zip(path, files)
