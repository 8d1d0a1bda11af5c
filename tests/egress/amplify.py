"""The amplification archive of threat-model §4.6: N followed accounts, each mentioned once
in the owner's posts (a forged tweets.js of ~60 KB for 5,000 names), on top of an archive
made by `devtools.archivegen`."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from devtools.archivegen import ArchiveSpec, generate


def amplification_zip(folder: Path, followed: int = 5000, seed: int = 7) -> Path:
    """archivegen's archive with `followed` ids, its tweets replaced by one post per id
    that mentions it (each a distinct screen name)."""
    spec = ArchiveSpec(
        era="H", tweets=1, followers=0, following=followed, likes=0, blocks=0, mutes=0,
        notes=0, community=0, circle=0, lists=0, with_media_files=False, canaries=False,
        seed=seed,
    )  # fmt: skip
    base = generate(spec, folder / "base.zip")
    tweets = []
    for i, x_id in enumerate(base.following):
        name = f"p_{i:05d}_x"  # with "_": searched as is and as two variants
        tweets.append({"tweet": {
            "id_str": str(1_600_000_000_000_000_000 + i), "id": str(1_600_000_000_000_000_000 + i),
            "created_at": "Mon Jan 02 10:00:00 +0000 2023", "full_text": f"@{name} hi",
            "lang": "en", "retweeted": False, "favorited": False,
            "entities": {"hashtags": [], "symbols": [], "urls": [], "user_mentions": [
                {"name": name, "screen_name": name, "indices": ["0", str(len(name) + 1)],
                 "id_str": str(x_id), "id": str(x_id)}]},
        }})  # fmt: skip
    out = folder / "amplification.zip"
    with zipfile.ZipFile(base.path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename.rsplit("/", 1)[-1].startswith(("tweets", "tweet.js", "tweet-part")):
                continue
            dst.writestr(info, src.read(info))
        folder_name = next(n for n in src.namelist() if n.endswith("account.js")).rsplit("/", 1)[0]
        dst.writestr(f"{folder_name}/tweets.js", "window.YTD.tweets.part0 = " + json.dumps(tweets))
    return out
