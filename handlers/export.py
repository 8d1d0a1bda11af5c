"""`/export [all]`, `/export list [name]`, `/export starterpack [name]`, `/export blocks`.

``/export`` sends files: Mastodon's ``following_accounts.csv`` (the eligible matches, or
every tier with ``all``; split at 20,000 rows) and ``matches.csv`` / ``matches.json`` of
every match. ``list`` and ``starterpack`` create them on the connected Bluesky account.
``blocks`` previews the Mastodon blocks and mutes files (`handlers.blocks`).
The files are written to a per-user folder under the data directory and deleted once sent.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
from pathlib import Path

from chatbot.accounts import AccountExpired, ServiceUnavailable
from chatbot.conversation import Context
from chatbot.matching.model import Match
from chatbot.migration.export import (
    STARTER_PACK_MAX,
    ExportFile,
    bluesky_accounts,
    mastodon_accounts,
    mastodon_csv_files,
    match_files,
)
from chatbot.migration.lists import ListWriteError, NotConnected, RateLimited, export_to_bluesky
from chatbot.platforms.base import Document
from chatbot.safetext import clean
from handlers.match_counts import matches_or_explain

KINDS = {"list": "list", "starterpack": "starterpack", "starter-pack": "starterpack",
         "pack": "starterpack"}  # fmt: skip


async def export(ctx: Context) -> None:
    args = list(ctx.args)
    first = args[0].lower() if args else ""
    if first == "blocks":  # the Mastodon blocks and mutes files, after their preview
        from handlers.blocks import preview

        await preview(ctx, ("mastodon",))
        return
    if first and first != "all" and first not in KINDS:
        await ctx.say("export.usage")
        return
    found = await _matches(ctx)
    if found is None:
        return
    if first in KINDS:
        await _to_bluesky(ctx, found, KINDS[first], " ".join(args[1:]).strip())
    else:
        await _send_files(ctx, found, all_tiers=first == "all")


async def _matches(ctx: Context) -> list[Match] | None:
    found = await matches_or_explain(ctx)
    if found is None:
        return None
    if not found:
        await ctx.say("export.nothing")
        return None
    return found


def _captioned(ctx: Context, found: list[Match], all_tiers: bool) -> list[tuple[ExportFile, str]]:
    t = ctx.t
    which = t("export.which.all" if all_tiers else "export.which.eligible")
    files = mastodon_csv_files(mastodon_accounts(found, all_tiers=all_tiers))
    shown: list[tuple[ExportFile, str]] = []
    for part, file in enumerate(files, 1):
        if len(files) == 1:
            caption = t("export.mastodon.caption", count=file.rows, which=which)
        else:
            caption = t("export.mastodon.caption_part", part=part, parts=len(files),
                        count=file.rows, which=which)  # fmt: skip
        shown.append((file, caption))
    for file in match_files(t, found, language=t.language):
        key = "export.matches.csv" if file.name.endswith(".csv") else "export.matches.json"
        shown.append((file, t(key, count=len(found))))
    return shown


async def _send_files(ctx: Context, found: list[Match], *, all_tiers: bool) -> None:
    shown = _captioned(ctx, found, all_tiers)
    if not any(file.name.startswith("following_accounts") for file, _ in shown):
        await ctx.say("export.mastodon.none" if all_tiers else "export.mastodon.none_eligible")
    await send_files(ctx, shown)
    await ctx.say("export.done")


async def send_files(ctx: Context, shown: list[tuple[ExportFile, str]]) -> None:
    """Send files with their captions, through a private folder deleted once they are sent."""
    folder = ctx.services.settings.data_dir / "exports" / f"{ctx.user.id}-{secrets.token_hex(4)}"
    try:
        paths = await asyncio.to_thread(write_files, folder, [file for file, _ in shown])
        for (file, caption), path in zip(shown, paths, strict=True):
            await ctx.reply(Document(file.name, path, caption, file.mime_type))
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)


def write_files(folder: Path, files: list[ExportFile]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths = []
    for file in files:
        path = folder / file.name
        path.write_bytes(file.data)
        paths.append(path)
    return paths


async def _to_bluesky(ctx: Context, found: list[Match], kind: str, name: str) -> None:
    t = ctx.t
    members = bluesky_accounts(found)
    if not members:
        await ctx.say("export.bluesky.none")
        return
    name = name or t(f"export.{kind}.default_name")
    await ctx.say(f"export.{kind}.working", count=min(len(members), _cap(kind, members)))
    try:
        created = await export_to_bluesky(
            ctx.services, ctx.user.id, "list" if kind == "list" else "starterpack", name, members,
            description=t("export.bluesky.description"),
        )  # fmt: skip
    except NotConnected:
        await ctx.say("export.bluesky.not_connected", command="/connect bluesky")
        return
    except AccountExpired:
        await ctx.say("export.bluesky.expired", command="/connect bluesky")
        return
    except ServiceUnavailable:
        await ctx.say("export.bluesky.server_down", command=f"/export {kind}")
        return
    except RateLimited:
        await ctx.say("export.bluesky.rate_limited", command=f"/export {kind}")
        return
    except ListWriteError as exc:  # the server's own words: one clean line
        await ctx.say("export.bluesky.refused", error=clean(str(exc), 200))
        return
    await ctx.say(f"export.{kind}.done", name=name, count=created.members, url=created.url)
    if created.left_out:
        await ctx.say("export.starterpack.left_out", count=created.left_out, cap=STARTER_PACK_MAX)


def _cap(kind: str, members: list[str]) -> int:
    return STARTER_PACK_MAX if kind == "starterpack" else len(members)
