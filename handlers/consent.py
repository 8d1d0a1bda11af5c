"""Consent to be findable, unlinking, and new-match notices: `/findable`, `/unlink`, `/notify`.

Consent is asked plainly when a user links an account; it applies to all their links and
can be withdrawn at any time (`/findable off`: the links stay, nobody finds them;
`/unlink`: the links are deleted).
"""

from __future__ import annotations

from chatbot.conversation import Context
from chatbot.orgs.publish import refresh_user
from chatbot.storage.directory import DirectoryStore
from chatbot.storage.links import UserLinks
from handlers.match import directory_changed


async def ask_consent(ctx: Context) -> None:
    await ctx.ask(
        ctx.t("consent.question"),
        [(ctx.t("consent.yes"), "findable:on"), (ctx.t("consent.no"), "findable:off")],
    )


async def findable(ctx: Context) -> None:
    """`/findable [on|off]`: without an argument, ask."""
    choice = ctx.args[0].lower() if ctx.args else ""
    if choice not in ("on", "off"):
        await ask_consent(ctx)
        return
    await _set(ctx, choice == "on")


async def findable_pressed(ctx: Context) -> None:
    await _set(ctx, ctx.message.callback == "findable:on")


async def _set(ctx: Context, on: bool) -> None:
    changed = await DirectoryStore(ctx.services.db).set_findable(ctx.user.id, on)
    if not changed:
        await ctx.say("consent.nothing_linked")
        return
    directory_changed(ctx.services)  # withdrawn consent: nobody is shown these links
    await ctx.say("consent.on" if on else "consent.off")


async def unlink(ctx: Context) -> None:
    """`/unlink [bluesky|mastodon]`: delete the user's links (all, or on one network)."""
    network = ctx.args[0].lower() if ctx.args else None
    if network not in (None, "bluesky", "mastodon"):
        await ctx.say("consent.unlink_usage")
        return
    removed = await UserLinks(ctx.services.db).remove(ctx.user.id, network)
    await refresh_user(ctx.services, ctx.user.id)
    if removed:
        directory_changed(ctx.services)
    await ctx.say("consent.unlinked" if removed else "consent.nothing_linked")


async def notify(ctx: Context) -> None:
    """`/notify on|off`: a message when accounts you followed arrive in the directory."""
    choice = ctx.args[0].lower() if ctx.args else ""
    if choice not in ("on", "off"):
        state = "notify.state_on" if ctx.user.notify_matches else "notify.state_off"
        await ctx.say(state, days=ctx.services.settings.match_notify_interval_days)
        return
    await _notify(ctx, choice == "on")


async def notify_pressed(ctx: Context) -> None:
    await _notify(ctx, ctx.message.callback == "notify:on")


async def _notify(ctx: Context, on: bool) -> None:
    await ctx.services.users.set_notify(ctx.user.id, on)
    days = ctx.services.settings.match_notify_interval_days
    await ctx.say("notify.on" if on else "notify.off", days=days)
