"""`/undo [follows|posts|lists|blocks|profile] [bluesky|mastodon]`: take back what I did.

From the bot's own logs only (never a follow the user made): a preview of what would be
taken back, per network and kind, with a few examples, then a confirmation; the undo
runs as a background job per network (/status, /pause, /resume, /cancel). Buttons:
``undo:ok:<kinds>:<networks>`` (one letter each, see `CODES`) and ``undo:no``.
"""

from __future__ import annotations

from chatbot.conversation import Context
from chatbot.migration.lists import rkey
from chatbot.migration.store import ACTIVE
from chatbot.platforms.base import Text
from chatbot.safetext import display
from chatbot.undo.plan import BY_NETWORK, KINDS, NETWORKS, UndoPlan, gather
from chatbot.undo.profile import restorable
from chatbot.undo.store import Made, UndoStore
from handlers.follow import runner
from handlers.match_counts import network_name

CODES = {"follows": "f", "posts": "p", "lists": "l", "blocks": "b", "profile": "r",
         "bluesky": "b", "mastodon": "m"}  # fmt: skip
ALIASES = {"follow": "follows", "post": "posts", "list": "lists", "starterpacks": "lists",
           "starterpack": "lists", "block": "blocks", "mutes": "blocks",
           "mute": "blocks"}  # fmt: skip
EXAMPLES = 3


def parse(args: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(kinds, networks) named by the user (all when none), or None when not understood."""
    kinds: list[str] = []
    networks: list[str] = []
    for arg in (a.lower() for a in args):
        arg = ALIASES.get(arg, arg)
        if arg in KINDS:
            kinds.append(arg)
        elif arg in NETWORKS:
            networks.append(arg)
        else:
            return None
    return tuple(dict.fromkeys(kinds)) or KINDS, tuple(dict.fromkeys(networks)) or NETWORKS


async def plans(
    ctx: Context, kinds: tuple[str, ...], networks: tuple[str, ...]
) -> tuple[list[UndoPlan], list[str]]:
    """The plan of each connected network, and the networks not connected where the
    bot did something (the user is told to connect that account again)."""
    found, missing = [], []
    store = UndoStore(ctx.services.db)
    for network in networks:
        if not set(kinds) & set(BY_NETWORK[network]):
            continue
        account = await ctx.services.accounts.get(ctx.user.id, network)
        if account is None:
            if (await gather(store, ctx.user.id, network, kinds, None)).total:
                missing.append(network)
            continue
        who = (account.did if network == "bluesky" else account.handle) or ""
        plan = await gather(store, ctx.user.id, network, kinds, who)
        plan.handle = account.handle
        found.append(plan)
    return found, missing


async def undo(ctx: Context) -> None:
    parsed = parse(ctx.args)
    if parsed is None:
        await ctx.say("undo.usage")
        return
    kinds, networks = parsed
    found, missing = await plans(ctx, kinds, networks)
    t = ctx.t
    lines: list[str] = []
    for plan in found:
        lines += _preview(ctx, plan)
    for network in missing:
        lines.append(t("undo.not_connected", network=network_name(t, network),
                       command=f"/connect {network}"))  # fmt: skip
    if "follows" in kinds and any(plan.network == "mastodon" for plan in found):
        lines.append(t("undo.mastodon_csv"))
    todo = [plan for plan in found if plan.total]
    if not todo:
        await ctx.say("undo.nothing", details="\n".join(lines))
        return
    await ctx.say("undo.preview", details="\n".join(lines))
    if await _busy(ctx, [plan.network for plan in todo]):
        return
    code = "".join(CODES[k] for k in kinds) + ":" + "".join(CODES[p.network] for p in todo)
    await ctx.ask(t("undo.confirm"), [(t("undo.yes"), f"undo:ok:{code}"),
                                      (t("undo.no"), "undo:no")])  # fmt: skip


def _preview(ctx: Context, plan: UndoPlan) -> list[str]:
    t = ctx.t
    name = network_name(t, plan.network)
    lines = [t("undo.network", network=name, account=display(plan.handle or plan.account))]
    for kind in BY_NETWORK[plan.network]:
        count = plan.count(kind)
        if not count:
            continue
        lines.append(t.plural(f"undo.kind.{kind}", count))
        shown = [_example(plan, m) for m in plan.shown(kind)[:EXAMPLES]]
        if shown:
            lines.append(t("undo.examples", items=", ".join(shown)))
    if plan.backup is not None:
        lost = [
            f for f in plan.backup.fields.get("changed") or () if f not in restorable(plan.backup)
        ]
        if lost:
            fields = ", ".join(t(f"profile.field.{f}") for f in lost)
            lines.append(t("undo.profile_lost", fields=fields))
    if not plan.total:
        lines.append(t("undo.network_nothing"))
    if plan.elsewhere:
        lines.append(t.plural("undo.elsewhere", plan.elsewhere, network=name))
    return lines


def _example(plan: UndoPlan, made: Made) -> str:
    """A link the user can open (Bluesky), or the account (Mastodon)."""
    if plan.network == "mastodon":
        return display(made.target)
    if made.kind in ("follow", "block", "mute"):
        return f"https://bsky.app/profile/{made.target}"
    if made.kind == "post":
        return f"https://bsky.app/profile/{plan.account}/post/{rkey(made.target)}"
    if made.kind == "starterpack":
        return f"https://bsky.app/starter-pack/{plan.account}/{rkey(made.target)}"
    return f"https://bsky.app/profile/{plan.account}/lists/{rkey(made.target)}"


async def _busy(ctx: Context, networks: list[str]) -> bool:
    """Another job on these networks must end first (an undo racing a follow job would
    take back only part of it)."""
    jobs = await runner(ctx.services, ctx).store.for_user(ctx.user.id, ACTIVE)
    busy = [job for job in jobs if job.network in networks]
    if busy:
        await ctx.say("undo.busy", network=network_name(ctx.t, busy[0].network))
    return bool(busy)


async def pressed(ctx: Context) -> None:
    parts = (ctx.message.callback or "").split(":")
    if len(parts) != 4 or parts[1] != "ok":
        await ctx.say("undo.cancelled")
        return
    letters = {v: k for k, v in CODES.items() if k in KINDS}
    kinds = tuple(letters[c] for c in parts[2] if c in letters)
    networks = tuple(n for n in NETWORKS if CODES[n] in parts[3])
    todo = [plan for plan in (await plans(ctx, kinds, networks))[0] if plan.total]
    if not todo:
        await ctx.say("undo.nothing", details="")
        return
    if await _busy(ctx, [plan.network for plan in todo]):
        return
    jobs = runner(ctx.services, ctx)
    for plan in todo:
        params = {"kinds": list(kinds), "account": plan.account or ""}
        await jobs.submit_job(ctx.user.id, f"undo_{plan.network}", params, plan.total)
        name = network_name(ctx.t, plan.network)
        await ctx.reply(Text(ctx.t.plural("undo.started", plan.total, network=name)))
