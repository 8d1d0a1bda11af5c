"""`/link`: link a Bluesky or Mastodon account to the X account of the user's archive.

Both sides are proved with one code (`proofs.make_code`, kept per user): in the new
account's bio (`/link check`), and in a post made from the X account (`/link x URL`,
read through X's public oEmbed endpoint; its author must be the archive owner and other
archives must not contradict it). Until both are proved the link is "claimed" (the
matching engine decides the tier). Nothing is findable before the user consents
(`handlers.consent`). Private chat only; links are stored with provenance ``user_link``.
A proof is recorded on the user's own row only, and the accounts are read fresh (never
from the matching's cache): the bio the user just edited is the one checked.
"""

from __future__ import annotations

from chatbot.archive import ParsedArchive
from chatbot.conversation import Context
from chatbot.matching.model import DirectoryEntry
from chatbot.matching.proofs import check_x_post, code_in_profile, make_code
from chatbot.networks.mastodon import normalize_acct
from chatbot.networks.types import BlueskyProfile, MastodonAccount, NetworkUnavailable
from chatbot.orgs.publish import refresh_user
from chatbot.platforms.base import Text
from chatbot.safetext import clean, display, x_screen_name
from chatbot.storage.directory import DirectoryStore
from chatbot.storage.limits import fit_entry
from chatbot.storage.links import UserLinks
from handlers.consent import ask_consent
from handlers.match_counts import network_name


async def link(ctx: Context) -> None:
    args = ctx.args
    what = args[0].lower() if args else ""
    if what == "check":
        await _check(ctx)
    elif what in ("bluesky", "mastodon", "x") and len(args) == 2:
        parsed = await _owned_archive(ctx)
        if parsed is None:
            return
        if what == "x":
            await _prove_x(ctx, parsed, args[1])
        else:
            await _link_account(ctx, parsed, what, args[1])
    else:
        await _status(ctx)


async def _owned_archive(ctx: Context) -> ParsedArchive | None:
    """The user's archive, when it says which X account is theirs."""
    parsed = await ctx.services.archives.load(ctx.user.id)
    account_id = parsed.owner.account_id if parsed else None
    if parsed is None or not account_id or not account_id.isdigit():
        await ctx.say("link.need_archive")
        return None
    return parsed


async def fetch_fresh(
    ctx: Context, network: str, account: str
) -> BlueskyProfile | MastodonAccount | None:
    """The account on its network as it is now; None when absent. Raises NetworkUnavailable."""
    if network == "bluesky":
        assert ctx.services.bluesky is not None
        profiles = await ctx.services.bluesky.get_profiles([account], fresh=True)
        return profiles[0] if profiles else None
    assert ctx.services.mastodon is not None
    return await ctx.services.mastodon.lookup(account, fresh=True)


def reader_missing(ctx: Context, network: str) -> bool:
    readers = {"bluesky": ctx.services.bluesky, "mastodon": ctx.services.mastodon}
    return readers.get(network, ctx.services.oembed) is None


async def _link_account(ctx: Context, parsed: ParsedArchive, network: str, raw: str) -> None:
    account = raw.strip().lstrip("@").lower()
    if network == "mastodon" and normalize_acct(account) is None:
        # any host a URL may carry passes here: the egress policy decides what is reached,
        # and an internal host gets the reply of one that does not answer
        await ctx.say("link.bad_acct", account=clean(raw, 100))
        return
    if reader_missing(ctx, network):
        await ctx.say("link.offline")
        return
    try:
        found = await fetch_fresh(ctx, network, account)
    except NetworkUnavailable:
        await ctx.say("link.network_down", network=network_name(ctx.t, network))
        return
    links = UserLinks(ctx.services.db)
    mine = await links.of_user(ctx.user.id)
    consented = any(e.usable for e in mine)
    entry = None
    if isinstance(found, BlueskyProfile):
        entry = fit_entry(_entry(parsed, "bluesky", found.handle, consented, did=found.did))
    elif isinstance(found, MastodonAccount):
        entry = fit_entry(_entry(parsed, "mastodon", found.acct, consented, acct=found.acct))
    if entry is None:  # absent, or an identifier no real account has
        await ctx.say("link.not_found", account=clean(account, 100),
                      network=network_name(ctx.t, network))  # fmt: skip
        return
    await links.remove(ctx.user.id, network, keep_target=entry.target)
    if not any(e.network == network and e.target == entry.target for e in mine):
        await DirectoryStore(ctx.services.db).save(entry, user_id=ctx.user.id)
    await refresh_user(ctx.services, ctx.user.id)  # the organisations' rosters show it now
    code = await ctx.services.users.link_code(ctx.user.id, make_code)
    await ctx.say("link.put_code", account=display(entry.handle or entry.target), code=code)
    x_username = x_screen_name(parsed.owner.username) or "?"
    await ctx.say("link.x_instructions", x_username=x_username, code=code)
    if not consented:
        await ask_consent(ctx)


def _entry(
    parsed: ParsedArchive,
    network: str,
    handle: str,
    findable: bool,
    *,
    did: str | None = None,
    acct: str | None = None,
) -> DirectoryEntry:
    assert parsed.owner.account_id is not None
    return DirectoryEntry(
        x_id=int(parsed.owner.account_id),
        x_username=parsed.owner.username,
        network="bluesky" if network == "bluesky" else "mastodon",
        handle=handle,
        did=did,
        acct=acct,
        provenance="user_link",
        findable=findable,
    )


async def _check(ctx: Context) -> None:
    """`/link check`: look for the code in the bio of each linked account not proved yet."""
    mine = await UserLinks(ctx.services.db).of_user(ctx.user.id)
    if not mine:
        await ctx.say("link.nothing_linked")
        return
    code = await ctx.services.users.link_code(ctx.user.id, make_code)
    directory = DirectoryStore(ctx.services.db)
    for entry in mine:
        account = display(entry.handle or entry.target)
        if entry.new_account_proof != "none":
            await ctx.say("link.check.already", account=account)
            continue
        if reader_missing(ctx, entry.network):
            await ctx.say("link.offline")
            continue
        try:
            found = await fetch_fresh(ctx, entry.network, entry.target)
        except NetworkUnavailable:
            await ctx.say("link.network_down", network=network_name(ctx.t, entry.network))
            continue
        if found is not None and code_in_profile(found, code):
            await directory.set_proofs(
                ctx.user.id, entry.x_id, entry.network, entry.target, new_account_proof="bio_code"
            )
            await refresh_user(ctx.services, ctx.user.id)  # the proof, in the rosters too
            await ctx.say("link.check.proved", account=account)
        else:
            await ctx.say("link.check.missing", account=account, code=code)


async def _prove_x(ctx: Context, parsed: ParsedArchive, url: str) -> None:
    """`/link x URL`: a post from the archive owner's X account containing the code."""
    mine = await UserLinks(ctx.services.db).of_user(ctx.user.id)
    if not mine:
        await ctx.say("link.nothing_linked")
        return
    oembed = ctx.services.oembed
    if oembed is None:
        await ctx.say("link.offline")
        return
    assert parsed.owner.account_id is not None
    x_id = int(parsed.owner.account_id)
    own_names = [n for n in (parsed.owner.username, *parsed.owner.previous_usernames) if n]
    directory = DirectoryStore(ctx.services.db)
    observations = await directory.observations([x_id], own_names)
    code = await ctx.services.users.link_code(ctx.user.id, make_code)
    try:
        check = await check_x_post(oembed, url, code=code, x_id=x_id, observations=observations)
    except NetworkUnavailable:
        await ctx.say("link.network_down", network="X")
        return
    name = check.screen_name
    if name is not None and name.lower() not in {n.lower() for n in own_names}:
        x_username = x_screen_name(parsed.owner.username) or "?"
        await ctx.say("link.x.not_yours", name=name, x_username=x_username)
        return
    if check.outcome not in ("ok", "name_not_observed"):
        await ctx.say(f"link.x.{check.outcome}", code=code, name=name or "?")
        return
    for entry in mine:
        await directory.set_proofs(
            ctx.user.id, entry.x_id, entry.network, entry.target, x_proof="oembed",
            x_username=name,
        )  # fmt: skip
    await refresh_user(ctx.services, ctx.user.id)  # the proof, in the rosters too
    await ctx.say("link.x.proved" if check.ok else "link.x.proved_pending", name=name or "?")


async def _status(ctx: Context) -> None:
    """`/link` alone: the usage, then each linked account and what is proved."""
    lines = [ctx.t("link.usage")]
    for entry in await UserLinks(ctx.services.db).of_user(ctx.user.id):
        lines.append(
            ctx.t(
                "link.status.line",
                network=network_name(ctx.t, entry.network),
                account=display(entry.handle or entry.target),
                account_proof=ctx.t(_yes_no(entry.new_account_proof != "none")),
                x_proof=ctx.t(_yes_no(entry.x_proof != "none")),
                findable=ctx.t(_yes_no(entry.usable)),
            )
        )
    await ctx.reply(Text("\n".join(lines)))


def _yes_no(value: bool) -> str:
    return "link.yes" if value else "link.no"
