"""`/profile [bluesky|mastodon]`: copy the X display name, bio, avatar and banner.

A preview first (the text as it will be written, cut to each network's limits, and the
pictures), then confirm/cancel buttons; only a confirmation writes. The pictures are the
two kept from the uploaded archive (`keep_images`, called on upload; deleted by
/forget through `forget_images`).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from chatbot.accounts import AccountExpired, ServiceUnavailable
from chatbot.archive import ParsedArchive
from chatbot.archive.profile_media import (
    extract_profile_images,
    forget_profile_images,
    stored_images,
)
from chatbot.conversation import Context
from chatbot.migration.profile import NETWORKS, ProfileDraft, draft_profile
from chatbot.platforms.base import Image, Text
from chatbot.services import Services
from handlers.match_counts import network_name

if TYPE_CHECKING:
    from chatbot.migration.profile_write import Written

log = logging.getLogger(__name__)

_FIELD_KEYS = {
    "name": "profile.field.name",
    "bio": "profile.field.bio",
    "avatar": "profile.field.avatar",
    "banner": "profile.field.banner",
}


async def write_profile(services: Services, user_id: int, draft: ProfileDraft) -> Written:
    """`chatbot.migration.profile_write.write_profile`, whose SDKs load on first use only
    (an upload keeps the pictures through this module and never needs them)."""
    from chatbot.migration import profile_write

    return await profile_write.write_profile(services, user_id, draft)


async def keep_images(ctx: Context, path: Path, parsed: ParsedArchive) -> None:
    """On upload: keep the archive's avatar and banner (nothing else) for /profile."""
    data_dir = ctx.services.settings.data_dir
    try:
        await asyncio.to_thread(extract_profile_images, [path], parsed, data_dir, ctx.user.id)
    except OSError:  # a full disk must not spoil the upload: /profile then has no pictures
        log.warning("could not keep the profile pictures of user %s", ctx.user.id, exc_info=True)


def forget_images(services: Services, user_id: int) -> None:
    forget_profile_images(services.settings.data_dir, user_id)


async def _draft(ctx: Context, network: str) -> ProfileDraft | None:
    parsed = await ctx.services.archives.load(ctx.user.id)
    if parsed is None:
        return None
    return draft_profile(
        parsed, network, stored_images(ctx.services.settings.data_dir, ctx.user.id)
    )


async def profile(ctx: Context) -> None:
    args = [arg.lower() for arg in ctx.args]
    if args and (len(args) > 1 or args[0] not in NETWORKS):
        await ctx.say("profile.usage")
        return
    if await ctx.services.archives.load(ctx.user.id) is None:
        await ctx.say("profile.need_archive")
        return
    connected = await ctx.services.accounts.of_user(ctx.user.id)
    networks = args or [n for n in NETWORKS if n in connected]
    if not networks:
        await ctx.say("profile.connect_first")
        return
    for network in networks:
        if network not in connected:
            await ctx.say("profile.not_connected", network=network_name(ctx.t, network))
            continue
        draft = await _draft(ctx, network)
        if draft is not None:
            await _preview(ctx, draft, connected[network][0])


async def _preview(ctx: Context, draft: ProfileDraft, handle: str) -> None:
    name = network_name(ctx.t, draft.network)
    if draft.empty:
        await ctx.say("profile.nothing", network=name)
        return
    none = ctx.t("profile.none")
    lines = [
        ctx.t("profile.preview", network=name, handle=handle),
        ctx.t("profile.preview_name", name=draft.display_name or none),
        ctx.t("profile.preview_bio", bio=draft.description or none),
    ]
    for field in draft.shortened:
        lines.append(ctx.t("profile.shortened", field=ctx.t(_FIELD_KEYS[field]), network=name))
    if draft.website_dropped:
        lines.append(ctx.t("profile.website_dropped"))
    if draft.avatar is None and draft.banner is None:
        lines.append(ctx.t("profile.no_pictures"))
    await ctx.reply(Text("\n".join(lines)))
    for field, path in (("avatar", draft.avatar), ("banner", draft.banner)):
        if path is not None:
            data = await asyncio.to_thread(path.read_bytes)
            caption = ctx.t(_FIELD_KEYS[field])
            await ctx.reply(Image(f"{field}{path.suffix}", data, caption=caption))
    await ctx.ask(
        ctx.t("profile.confirm", network=name),
        [
            (ctx.t("profile.yes"), f"profile:ok:{draft.network}"),
            (ctx.t("profile.no"), f"profile:no:{draft.network}"),
        ],
    )


async def pressed(ctx: Context) -> None:
    """The confirm/cancel buttons: ``profile:ok:<network>`` or ``profile:no:<network>``."""
    parts = (ctx.message.callback or "").split(":")
    if len(parts) != 3 or parts[2] not in NETWORKS:
        return
    network, name = parts[2], network_name(ctx.t, parts[2])
    if parts[1] != "ok":
        await ctx.say("profile.cancelled", network=name)
        return
    draft = await _draft(ctx, network)
    if draft is None:
        await ctx.say("profile.need_archive")
        return
    from chatbot.migration.profile_write import NotConnected

    try:
        written = await write_profile(ctx.services, ctx.user.id, draft)
    except NotConnected:
        await ctx.say("profile.not_connected", network=name)
        return
    except AccountExpired:
        await ctx.say("profile.expired", network=name, command=f"/connect {network}")
        return
    except ServiceUnavailable:
        await ctx.say("profile.down", network=name)
        return
    fields = ", ".join(ctx.t(_FIELD_KEYS[f]) for f in written.fields)
    await ctx.say("profile.done", network=name, fields=fields or ctx.t("profile.none"))
    skipped = [f for f in ("avatar", "banner") if getattr(draft, f) and f not in written.fields]
    if skipped:
        await ctx.say(
            "profile.picture_skipped", fields=", ".join(ctx.t(_FIELD_KEYS[f]) for f in skipped)
        )
