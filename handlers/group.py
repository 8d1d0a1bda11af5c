"""`/group` in an organisation's group chat: set it up and manage it (group admins).

``/group`` alone shows the organisation. Admin subcommands: ``setup NAME…``, ``lang fr en``,
``account bluesky HANDLE`` / ``account mastodon USER@INSTANCE``, ``roster`` (a CSV sent in
private), ``audience``, ``digest on|off``, ``starterpack [NAME]``, ``list [NAME]``,
``mastodon``, ``announce``, ``newlink`` (a new join link) and ``delete``. Anything that
names people goes to the admin's private chat; the group sees confirmations and
aggregates only.
"""

from __future__ import annotations

import datetime as dt

from chatbot.config import SUPPORTED_LANGUAGES
from chatbot.conversation import Context
from chatbot.matching.proofs import make_code
from chatbot.orgs.publish import purge
from chatbot.orgs.roster_csv import valid_acct, valid_bluesky_handle
from chatbot.orgs.store import Organisation, OrgStore
from chatbot.platforms.base import Button, Text
from chatbot.safetext import display
from handlers import group_approval, group_artefacts, group_roster, join
from handlers.group_common import current_org, is_admin, org_t, say
from handlers.match import directory_changed

ADMIN = {"setup", "lang", "account", "roster", "audience", "digest", "starterpack", "list",
         "mastodon", "announce", "delete", "newlink"}  # fmt: skip


async def group(ctx: Context) -> None:
    what = ctx.args[0].lower() if ctx.args else ""
    if what in ADMIN and not await is_admin(ctx):
        await ctx.say("group.admins_only")
        return
    if what == "setup":
        await _setup(ctx)
        return
    org = await current_org(ctx)
    if org is None:
        return
    handlers = {
        "lang": _lang,
        "account": _account,
        "digest": _digest,
        "delete": _delete,
        "roster": group_roster.roster,
        "audience": group_roster.audience,
        "starterpack": group_artefacts.starterpack,
        "list": group_artefacts.bluesky_list,
        "mastodon": group_artefacts.mastodon,
        "announce": group_artefacts.announce,
        "newlink": join.new_link,
    }
    handler = handlers.get(what)
    if handler is None:
        await _info(ctx, org, unknown=bool(what))
    else:
        await handler(ctx, org)


async def _setup(ctx: Context) -> None:
    name = " ".join(ctx.args[1:]).strip()
    if not name:
        await ctx.say("org.setup.usage", command="/group setup")
        return
    org, created = await OrgStore(ctx.services.db).setup(
        ctx.platform.name, ctx.chat.chat_id, name, admin_user_id=ctx.user.id,
        language=ctx.t.language,
    )  # fmt: skip
    t = org_t(ctx, org)
    await say(ctx, t, "org.setup.created" if created else "org.setup.renamed", name=org.name)
    if created:
        await say(ctx, t, "org.setup.next", join="/join", progress="/progress")


async def _info(ctx: Context, org: Organisation, *, unknown: bool) -> None:
    t = org_t(ctx, org)
    store = OrgStore(ctx.services.db)
    accounts = await store.own_accounts(org.id)
    lines = [t("org.info.title", name=org.name),
             t("org.info.languages", languages=", ".join(org.languages)),
             t.plural("org.info.members", len(await store.members(org.id)))]  # fmt: skip
    for account in accounts:
        lines.append(t("org.info.account_proved" if account.proved_at else "org.info.account",
                       network=t(f"match.network.{account.network}"),
                       handle=display(account.handle)))  # fmt: skip
    lines.append(t("org.info.approved" if org.approved else "org.info.not_approved"))
    lines.append(t("org.info.digest_on" if org.digest else "org.info.digest_off"))
    if unknown:
        lines.append(t("org.info.usage"))
    await ctx.reply(Text("\n".join(lines)))


async def _lang(ctx: Context, org: Organisation) -> None:
    wanted = [code.lower() for code in ctx.args[1:]]
    if not wanted or any(code not in SUPPORTED_LANGUAGES for code in wanted):
        await say(ctx, org_t(ctx, org), "org.lang.usage", command="/group lang fr en")
        return
    languages = list(dict.fromkeys(wanted))
    await OrgStore(ctx.services.db).set_languages(org.id, languages)
    org = await _reload(ctx, org)
    await say(ctx, org_t(ctx, org), "org.lang.done", languages=", ".join(languages))


async def _account(ctx: Context, org: Organisation) -> None:
    t = org_t(ctx, org)
    args = ctx.args[1:]
    network = args[0].lower() if args else ""
    if network == "check" and len(args) == 1:
        await group_approval.check_accounts(ctx, org)
        return
    handle = args[1].strip().lstrip("@") if len(args) == 2 else ""
    if network == "bluesky":
        handle = handle.lower()
        valid = valid_bluesky_handle(handle)
    elif network == "mastodon":
        user, _, host = handle.partition("@")
        handle = f"{user}@{host.lower()}"
        valid = valid_acct(handle)
    else:
        valid = False
    if not valid:
        await say(ctx, t, "org.account.usage", bluesky="/group account bluesky HANDLE",
                  mastodon="/group account mastodon USER@INSTANCE")  # fmt: skip
        return
    code = make_code()
    await OrgStore(ctx.services.db).set_account(org.id, network, handle, code)
    if org.approved:
        directory_changed(ctx.services)  # a new account ends the approval
    await say(ctx, t, "org.account.done", network=t(f"match.network.{network}"), handle=handle)
    await say(ctx, t, "org.account.prove", handle=handle, code=code,
              command="/group account check")  # fmt: skip


async def _digest(ctx: Context, org: Organisation) -> None:
    t = org_t(ctx, org)
    choice = ctx.args[1].lower() if len(ctx.args) > 1 else ""
    if choice not in ("on", "off"):
        await say(ctx, t, "org.digest.usage", command="/group digest on|off")
        return
    await OrgStore(ctx.services.db).set_digest(org.id, choice == "on", dt.datetime.now(dt.UTC))
    await say(ctx, t, "org.digest.on" if choice == "on" else "org.digest.off")


async def _delete(ctx: Context, org: Organisation) -> None:
    t = org_t(ctx, org)
    buttons = ((Button(t("org.delete.yes"), f"org:delete:{org.id}:yes"),),
               (Button(t("org.delete.no"), f"org:delete:{org.id}:no"),))  # fmt: skip
    await ctx.reply(Text(t("org.delete.confirm", name=org.name), buttons=buttons))


async def pressed(ctx: Context) -> None:
    """Buttons ``org:roster:<id>:yes|no`` (private) and ``org:delete:<id>:yes|no`` (group)."""
    parts = (ctx.message.callback or "").split(":")
    if len(parts) != 4 or not parts[2].isdigit():
        await ctx.say("error.stale_button")
        return
    _, what, org_id, answer = parts
    if what == "roster" and ctx.chat.is_private:
        await join.roster_answer(ctx, int(org_id), answer == "yes")
    elif what == "delete" and not ctx.chat.is_private:
        await _delete_answer(ctx, int(org_id), answer == "yes")
    else:
        await ctx.say("error.stale_button")


async def _delete_answer(ctx: Context, org_id: int, yes: bool) -> None:
    store = OrgStore(ctx.services.db)
    org = await store.get(org_id)
    if org is None or org.chat_id != ctx.chat.chat_id or org.platform != ctx.platform.name:
        await ctx.say("error.stale_button")
        return
    t = org_t(ctx, org)
    if not await is_admin(ctx):
        await ctx.say("group.admins_only")
    elif not yes:
        await say(ctx, t, "org.delete.cancelled")
    else:
        await purge(ctx.services.db, org)
        directory_changed(ctx.services)  # what its roster supported is gone for everyone
        await say(ctx, t, "org.delete.done")


async def _reload(ctx: Context, org: Organisation) -> Organisation:
    return await OrgStore(ctx.services.db).get(org.id) or org
