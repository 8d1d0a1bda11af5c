"""The organisation's collective artefacts, from its roster (admins, in the group).

``/group starterpack [NAME]`` and ``/group list [NAME]`` are created on the Bluesky account
the admin who set the organisation up connected with ``/connect bluesky`` (the members'
follows then point at the starter pack: `via`); ``/group mastodon`` makes the
``following_accounts.csv`` that Mastodon imports and the roster as a Mastodon list file
(``lists.csv``: importing it also follows its accounts); ``/group announce``
writes a "we are moving" post in French and English. Whatever names accounts goes to the
admin's private chat; the group gets a short confirmation.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil

from chatbot.accounts import AccountExpired, ServiceUnavailable
from chatbot.conversation import Context
from chatbot.migration.export import STARTER_PACK_MAX, list_files, mastodon_csv_files
from chatbot.migration.lists import ListWriteError, NotConnected, RateLimited, export_to_bluesky
from chatbot.orgs.artefacts import roster_accounts
from chatbot.orgs.render import announcement
from chatbot.orgs.store import Organisation, OrgStore
from chatbot.platforms.base import ChatRef, Document, Text
from handlers.group_common import need_private, org_t, private_chat, say


async def _private(ctx: Context, org: Organisation) -> ChatRef | None:
    private = await private_chat(ctx)
    if private is None:
        await need_private(ctx, org_t(ctx, org))
    return private


async def starterpack(ctx: Context, org: Organisation) -> None:
    await _to_bluesky(ctx, org, "starterpack")


async def bluesky_list(ctx: Context, org: Organisation) -> None:
    await _to_bluesky(ctx, org, "list")


async def _to_bluesky(ctx: Context, org: Organisation, kind: str) -> None:
    t = org_t(ctx, org)
    private = await _private(ctx, org)
    if private is None:
        return
    found = await roster_accounts(ctx.services, org)
    if not found.dids:
        await say(ctx, t, "org.artefact.no_bluesky")
        return
    name = " ".join(ctx.args[1:]).strip() or org.name
    if org.admin_user_id is None:
        await say(ctx, t, "org.artefact.not_connected", command="/connect bluesky")
        return
    key = None
    try:
        created = await export_to_bluesky(
            ctx.services, org.admin_user_id, "list" if kind == "list" else "starterpack", name,
            found.dids, description=t("org.artefact.description", name=org.name), org_id=org.id,
        )  # fmt: skip
    except NotConnected:
        key = "org.artefact.not_connected"
    except AccountExpired:
        key = "org.artefact.expired"
    except (ServiceUnavailable, RateLimited):
        key = "org.artefact.later"
    except ListWriteError:
        key = "org.artefact.refused"
    if key is not None:
        await say(ctx, t, key, command="/connect bluesky")
        return
    await ctx.reply(
        Text(ctx.t(f"org.artefact.{kind}_done", name=name, count=created.members,
                   url=created.url)), chat=private,
    )  # fmt: skip
    if created.left_out:
        text = ctx.t("org.artefact.left_out", count=created.left_out, cap=STARTER_PACK_MAX)
        await ctx.reply(Text(text), chat=private)
    await say(ctx, t, "org.artefact.sent_privately")


async def mastodon(ctx: Context, org: Organisation) -> None:
    t = org_t(ctx, org)
    private = await _private(ctx, org)
    if private is None:
        return
    found = await roster_accounts(ctx.services, org)
    files = mastodon_csv_files(found.accts)
    if not files:
        await say(ctx, t, "org.artefact.no_mastodon")
        return
    captioned = [(f, ctx.t("org.artefact.mastodon_caption", name=org.name, count=f.rows))
                 for f in files]  # fmt: skip
    captioned += [(f, ctx.t.plural("org.artefact.mastodon_list_caption", f.rows, name=org.name))
                  for f in list_files(org.name, found.accts)]  # fmt: skip
    folder = ctx.services.settings.data_dir / "exports" / f"org{org.id}-{secrets.token_hex(4)}"
    try:
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True, mode=0o700)
        for file, caption in captioned:
            path = folder / file.name
            await asyncio.to_thread(path.write_bytes, file.data)
            await ctx.reply(Document(file.name, path, caption, file.mime_type), chat=private)
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)
    await say(ctx, t, "org.artefact.sent_privately")


async def announce(ctx: Context, org: Organisation) -> None:
    t = org_t(ctx, org)
    accounts = await OrgStore(ctx.services.db).accounts(org.id)
    if not accounts:
        await say(ctx, t, "org.announce.no_accounts", command="/group account")
        return
    private = await _private(ctx, org)
    if private is None:
        return
    await ctx.reply(Text(ctx.t("org.announce.intro")), chat=private)
    await ctx.reply(Text(announcement(org.name, accounts)), chat=private)
    await say(ctx, t, "org.artefact.sent_privately")
