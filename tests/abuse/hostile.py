"""Forged archives for the abuse tests: an owner whose names and bio are far too long.

A generated archive (`devtools.archivegen`) whose manifest.js, account.js and profile.js
are rewritten: the username becomes a run of letters, the display name, bio and location
random text of the given lengths, with characters a forger likes (newlines, a
right-to-left override, zero-width spaces). Everything else (posts, lists) stays real.
"""

from __future__ import annotations

import json
import random
import zipfile
from pathlib import Path

from devtools.archivegen import ArchiveSpec, generate

OWNER_FILES = ("data/manifest.js", "data/account.js", "data/profile.js")


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéüßЖж漢字 \n\u202e\u200b"


def _run(chars: int, rng: random.Random) -> str:
    """`chars` characters that deflate cannot shrink much (a forged name under the reader's
    compression-ratio guard, like the 877 KB upload of threat model §4.7)."""
    return "".join(rng.choices(_LETTERS, k=chars))


def long_name_archive(
    dest: Path,
    *,
    username_chars: int = 15,
    name_chars: int = 1_200_000,
    bio_chars: int = 100_000,
    seed: int = 1,
    tweets: int = 120,
) -> Path:
    """Write the forged archive to `dest` and return it."""
    rng = random.Random(seed)
    username = "a" * username_chars  # over 15 letters, account.js is refused as damaged
    return owner_archive(dest, username, _run(name_chars, rng), _run(bio_chars, rng),
                         seed=seed, tweets=tweets)  # fmt: skip


def owner_archive(
    dest: Path, username: str, name: str, bio: str, *, seed: int = 1, tweets: int = 120
) -> Path:
    """A generated archive whose owner has these username, display name and bio (the bio is
    also the location)."""
    plain = generate(ArchiveSpec(era="H", tweets=tweets, seed=seed, canaries=False),
                     dest.with_suffix(".plain.zip"))  # fmt: skip
    with (
        zipfile.ZipFile(plain.path) as zin,
        zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename in OWNER_FILES:
                prefix, _, body = data.decode().partition(" = ")
                value = json.loads(body)
                if info.filename.endswith("manifest.js"):
                    value["userInfo"].update(userName=username, displayName=name)
                elif info.filename.endswith("account.js"):
                    value[0]["account"].update(username=username, accountDisplayName=name)
                else:
                    value[0]["profile"]["description"].update(bio=bio, location=bio)
                data = f"{prefix} = {json.dumps(value, indent=2)}".encode()
            zout.writestr(info, data)
    plain.path.unlink()
    return dest
