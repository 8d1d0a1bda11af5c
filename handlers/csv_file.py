"""A CSV file a command asked for: size check, download into a private folder, decode.

Used by `/import_directory` and `/group roster`; each says its own messages under its
locale prefix, given with its final dot (``csvimport.`` -> ``csvimport.too_big``,
``.download_failed``, ``.not_text``).
"""

from __future__ import annotations

import secrets
import shutil

from chatbot.conversation import Context
from chatbot.platforms.base import DownloadFailed, TooBigToDownload


async def read_csv_text(ctx: Context, prefix: str, name: str, max_bytes: int) -> str | None:
    """The attachment's text (UTF-8, BOM or not), or None after telling the user why."""
    attachment = ctx.message.attachment
    assert attachment is not None
    if attachment.size is not None and attachment.size > max_bytes:
        await ctx.say(f"{prefix}too_big", limit=max_bytes // 1_000_000)
        return None
    folder = ctx.services.settings.uploads_dir / secrets.token_hex(8)
    folder.mkdir(parents=True, mode=0o700)
    try:
        path = await ctx.platform.download(attachment, folder / name)
        raw = path.read_bytes()[: max_bytes + 1]
    except (DownloadFailed, TooBigToDownload):
        await ctx.say(f"{prefix}download_failed")
        return None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        await ctx.say(f"{prefix}not_text")
        return None
