"""Choosing the language: `/lang fr`, or buttons (numbered choices where none exist)."""

from __future__ import annotations

from chatbot.config import SUPPORTED_LANGUAGES
from chatbot.conversation import Context
from chatbot.i18n import translator

NAMES = {"en": "English", "fr": "Français"}


async def lang(ctx: Context) -> None:
    if ctx.args:
        await _set(ctx, ctx.args[0].lower())
        return
    await ctx.ask(
        ctx.t("lang.choose"),
        [(NAMES[code], f"lang:{code}") for code in SUPPORTED_LANGUAGES],
    )


async def chosen(ctx: Context) -> None:
    data = ctx.message.callback or ""
    await _set(ctx, data.partition(":")[2])


async def _set(ctx: Context, code: str) -> None:
    if code not in SUPPORTED_LANGUAGES:
        await ctx.say("lang.unknown", code=code, choices=", ".join(SUPPORTED_LANGUAGES))
        return
    await ctx.services.users.set_language(ctx.user.id, code)
    ctx.t = translator(code)
    await ctx.say("lang.set")
