"""`/blocks [bluesky|mastodon]`: carry the X blocks and mutes over, on request only.

The blocked and muted X accounts found with confidence (verified, or likely and
confirmed here by the user) are shown first; nothing happens before the user presses
a button. Bluesky: a background job writes block records and mutes (/status, /pause,
/cancel; `/undo blocks` takes them back). Mastodon: ``blocked_accounts.csv`` and
``muted_accounts.csv``, the files Mastodon imports (Settings › Import and export).
Buttons: ``blk:go:b`` / ``blk:go:m`` / ``blk:no``; ``blk:c|r:<x_id>:<b|m>:<tag>``
confirms or rejects a likely match (the tag of `/match`).
"""

from __future__ import annotations

import asyncio
import secrets
import shutil

from chatbot.conversation import Context
from chatbot.matching.model import Decision
from chatbot.migration.export import blocks_files
from chatbot.migration.safety import SafetyMatch, safety_matches, targets
from chatbot.migration.writers import ExpiredError, WriterError, close_writer
from chatbot.networks.types import NetworkUnavailable
from chatbot.platforms.base import Button, Document, Text
from chatbot.safetext import display
from chatbot.storage.directory import DecisionStore
from handlers.export import write_files
from handlers.follow import runner
from handlers.match import tag
from handlers.match_counts import network_name, say_network_down

NETWORKS = ("bluesky", "mastodon")
EXAMPLES = 3
REVIEW = 5


async def _found(ctx: Context) -> list[SafetyMatch] | None:
    """The safety matches; None after telling the user why there are none."""
    parsed = await ctx.services.archives.load(ctx.user.id)
    if parsed is None:
        await ctx.say("match.need_archive")
        return None
    if not (len(parsed.blocked) or len(parsed.muted)):
        await ctx.say("blocks.none_in_archive")
        return None
    try:
        return await safety_matches(ctx.services, ctx.user.id, parsed)
    except NetworkUnavailable as exc:
        await say_network_down(ctx, exc)
        return None


async def blocks(ctx: Context) -> None:
    args = [arg.lower() for arg in ctx.args]
    if len(args) > 1 or (args and args[0] not in NETWORKS):
        await ctx.say("blocks.usage")
        return
    await preview(ctx, tuple(args) or NETWORKS)


async def preview(ctx: Context, networks: tuple[str, ...]) -> None:
    """What would be carried over to `networks`, then the buttons (also `/export blocks`)."""
    found = await _found(ctx)
    if found is None:
        return
    parsed = await ctx.services.archives.load(ctx.user.id)
    assert parsed is not None
    t = ctx.t
    lines = [
        t.plural("blocks.archive_blocked", len(parsed.blocked)),
        t.plural("blocks.archive_muted", len(parsed.muted)),
        t("blocks.found_title"),
    ]
    offer = []
    for network in networks:
        blocked, muted = targets(found, network)
        name = network_name(t, network)
        lines.append(t("blocks.found_line", network=name,
                       blocks=t.plural("blocks.count_blocks", len(blocked)),
                       mutes=t.plural("blocks.count_mutes", len(muted))))  # fmt: skip
        shown = _examples(found, network)
        if shown:
            lines.append(t("blocks.examples", items=", ".join(shown)))
        if blocked or muted:
            offer.append(network)
    if not offer:
        lines.append(t("blocks.nobody"))
    await ctx.reply(Text("\n".join(lines)))
    await _review(ctx, [f for f in found if f.to_review and f.match.network in networks])
    if offer:
        choices = [(t(f"blocks.button.{network}"), f"blk:go:{network[0]}") for network in offer]
        await ctx.ask(t("blocks.ask"), [*choices, (t("blocks.button.cancel"), "blk:no")])


def _examples(found: list[SafetyMatch], network: str) -> list[str]:
    sure = [f.match for f in found if f.sure and f.match.network == network]
    return [display(m.handle or m.did or m.acct or "") for m in sure[:EXAMPLES]]


async def _review(ctx: Context, pending: list[SafetyMatch]) -> None:
    """The likely matches that need the user's word, a few at a time."""
    if not pending:
        return
    await ctx.reply(Text(ctx.t.plural("blocks.review", len(pending))))
    for item in pending[:REVIEW]:
        match = item.match
        code = f"{match.x_id}:{match.network[0]}:{tag(match)}"
        buttons = ((Button(ctx.t("blocks.confirm_button"), f"blk:c:{code}"),
                    Button(ctx.t("blocks.reject_button"), f"blk:r:{code}")),)  # fmt: skip
        text = ctx.t("blocks.review_line", handle=display(match.handle or match.did or ""),
                     x_username=display(match.x_username or str(match.x_id)),
                     network=network_name(ctx.t, match.network))  # fmt: skip
        await ctx.reply(Text(text, buttons=buttons))


async def pressed(ctx: Context) -> None:
    parts = (ctx.message.callback or "").split(":")
    if parts[1:2] == ["no"]:
        await ctx.say("blocks.cancelled")
    elif len(parts) == 3 and parts[1] == "go" and parts[2] in ("b", "m"):
        network = "bluesky" if parts[2] == "b" else "mastodon"
        found = await _found(ctx)
        if found is not None:
            await (_to_bluesky(ctx, found) if network == "bluesky" else _files(ctx, found))
    elif len(parts) == 5 and parts[1] in ("c", "r") and parts[2].isdigit():
        await _decide(ctx, parts)


async def _decide(ctx: Context, parts: list[str]) -> None:
    found = await _found(ctx)
    if found is None:
        return
    x_id, net, wanted = int(parts[2]), parts[3], parts[4]
    hit = next(
        (m for m in (f.match for f in found)
         if m.x_id == x_id and m.network[0] == net and tag(m) == wanted),
        None,
    )  # fmt: skip
    if hit is None:
        await ctx.say("match.review.gone")
        return
    decision: Decision = "confirmed" if parts[1] == "c" else "rejected"
    await DecisionStore(ctx.services.db).decide(
        ctx.user.id, hit.x_id, hit.network, hit.target, decision
    )
    await ctx.say(f"blocks.{decision}", handle=display(hit.handle or hit.target))


async def _to_bluesky(ctx: Context, found: list[SafetyMatch]) -> None:
    blocked, muted = targets(found, "bluesky")
    if not (blocked or muted):
        await ctx.say("blocks.none_network", network=network_name(ctx.t, "bluesky"))
        return
    jobs = runner(ctx.services, ctx)
    if any(job.kind == "block_bluesky" for job in await jobs.store.for_user(ctx.user.id)):
        await ctx.say("blocks.already_running")
        return
    try:
        writer = await jobs.writer_factory(ctx.services, ctx.user.id, "bluesky")
    except ExpiredError:
        await ctx.say("blocks.expired", command="/connect bluesky")
        return
    except WriterError:
        await ctx.say("blocks.server_down")
        return
    if writer is None:
        await ctx.say("blocks.not_connected", command="/connect bluesky")
        return
    await close_writer(writer)
    total = len(blocked) + len(muted)
    params = {"blocks": blocked, "mutes": muted}
    await jobs.submit_job(ctx.user.id, "block_bluesky", params, total)
    text = ctx.t.plural("blocks.started", total, blocks=len(blocked), mutes=len(muted))
    await ctx.reply(Text(text))


async def _files(ctx: Context, found: list[SafetyMatch]) -> None:
    blocked, muted = targets(found, "mastodon")
    files = blocks_files(blocked, muted)
    if not files:
        await ctx.say("blocks.none_network", network=network_name(ctx.t, "mastodon"))
        return
    folder = ctx.services.settings.data_dir / "exports" / f"{ctx.user.id}-{secrets.token_hex(4)}"
    try:
        paths = await asyncio.to_thread(write_files, folder, files)
        for file, path in zip(files, paths, strict=True):
            key = "blocked" if file.name.startswith("blocked") else "muted"
            caption = ctx.t.plural(f"blocks.mastodon.{key}_caption", file.rows)
            await ctx.reply(Document(file.name, path, caption, file.mime_type))
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)
    await ctx.say("blocks.mastodon.howto")
