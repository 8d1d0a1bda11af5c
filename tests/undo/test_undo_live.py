"""A whole migration on the real AT Protocol network, then /undo: it is gone on the server.

The user follows one friend themselves before the bot; the bot follows the others (never
the user's own account), makes a list and a starter pack, imports posts and copies the
profile. /undo previews, is confirmed, runs as a job, and afterwards the PDS holds only
what the user made: their own follow, their profile as it was (the same avatar blob).
A second /undo finds nothing. The same transcript in French.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from chatbot.posts.prepare import prepare_posts
from chatbot.posts.store import PostStore, media_dir
from chatbot.storage.schema import follow_log
from devtools.archivegen import ArchiveSpec, generate
from handlers.follow import runner
from tests.accounts.conftest import Bot
from tests.conversation.harness import start_follow, texts
from tests.export.matches import bsky
from tests.export.test_live import records
from tests.profile.archive import BIO, NAME, picture, profile_archive
from tests.servers.atproto import AtprotoNetwork
from tests.undo.live import (
    FOLLOW,
    button,
    connected_user,
    count,
    follow_raw,
    profile_record,
    profile_with_avatar,
    with_matches,
)

COLLECTIONS = ("app.bsky.feed.post", "app.bsky.graph.list", "app.bsky.graph.listitem",
               "app.bsky.graph.starterpack")  # fmt: skip


async def import_posts(bot: Bot, user_id: int, tmp_path: Path) -> int:
    """Old posts imported by the bot (the import job itself is tested in tests/posts)."""
    generated = generate(ArchiveSpec(era="H", tweets=12, seed=5), tmp_path / "posts.zip")
    folder = media_dir(bot.services.settings.data_dir, user_id)
    prepared = await asyncio.to_thread(prepare_posts, [generated.path], folder)
    await PostStore(bot.services.db).replace(user_id, prepared.posts)
    jobs = runner(bot.services)
    job = await jobs.submit_import(user_id, len(prepared.posts), {})
    await jobs.idle()
    done = await jobs.store.get(job.id)
    assert done is not None and done.state == "done" and done.done > 0
    return sum(len(p.parts) for p in prepared.posts)


@pytest.mark.parametrize("bot", ["atproto_settings"], indirect=True)
async def test_a_whole_migration_undone_is_gone_on_the_server(
    bot: Bot, atproto_network: AtprotoNetwork, tmp_path: Path
) -> None:
    net = atproto_network
    user_id, me = await connected_user(bot, net)
    before = await asyncio.to_thread(profile_with_avatar, net, me, picture(64, 64, fmt="PNG"))
    friends = [net.create_account(f"f{n}x{user_id}{me.did[-5:]}") for n in range(3)]
    own_follow = await asyncio.to_thread(follow_raw, net, me, friends[0].did)
    chat = bot.chat()
    avatar, banner = picture(200, 200, fmt="PNG"), picture(600, 200)
    await chat.upload(profile_archive(tmp_path / "x.zip", avatar=avatar, banner=banner))

    # the migration: follows (the user's own account is a match too: never followed)
    found = [bsky(n, "verified", did=friend.did) for n, friend in enumerate(friends)]
    with_matches(bot, user_id, [*found, bsky(9, "verified", did=me.did)])
    jobs = runner(bot.services)
    jobs.options.pace = False
    await start_follow(chat, "/follow bluesky")
    await jobs.idle()
    status = texts(await chat.say("/status"))
    assert "Skipped: 1 already followed, 1 is your own account." in status
    subjects = [r["value"]["subject"] for r in records(net.pds_url, me.did, FOLLOW)]
    assert sorted(subjects) == sorted(f.did for f in friends)  # never the user's own DID

    with_matches(bot, user_id, found)
    assert "is ready" in texts(await chat.say("/export list Friends"))
    assert "is ready" in texts(await chat.say("/export starterpack Pack"))
    posts = await import_posts(bot, user_id, tmp_path)
    await chat.say("/profile bluesky")
    assert "profile was updated" in texts(await chat.press("profile:ok:bluesky"))
    assert (await asyncio.to_thread(profile_record, net, me.did))["displayName"] == NAME
    assert count(net, me.did, "app.bsky.feed.post") == posts
    assert count(net, me.did, "app.bsky.graph.listitem") == 6  # 3 in the list, 3 in the pack

    # the preview, from the bot's own logs only
    replies = await chat.say("/undo")
    preview = texts(replies)
    assert "2 follows I made" in preview  # not the user's own follow of friends[0]
    assert f"{posts} imported posts" in preview
    assert "2 lists and starter packs" in preview  # a pack's own list goes with it
    assert "your profile, put back as it was" in preview
    assert f"https://bsky.app/profile/{friends[1].did}" in preview
    assert "Mastodon" not in preview  # never connected, never used
    assert count(net, me.did, FOLLOW) == 3, "nothing happens before the confirmation"

    said = texts(await chat.press(button(replies, "undo:ok:")))
    assert "Bluesky: taking back" in said
    await jobs.idle()
    status = texts(await chat.say("/status"))
    assert "Undo on Bluesky: finished." in status
    assert f"Taken back: {2 + posts + 2 + 1} · skipped: 0 · failed: 0" in status

    # gone on the server: only what the user made themselves is left
    follows = records(net.pds_url, me.did, FOLLOW)
    assert [r["uri"] for r in follows] == [own_follow]
    for collection in COLLECTIONS:
        assert count(net, me.did, collection) == 0, collection
    profile = await asyncio.to_thread(profile_record, net, me.did)
    assert profile["displayName"] == "Before" and "description" not in profile
    assert profile["avatar"]["ref"] == before["ref"], "the same picture, uploaded again"
    assert "banner" not in profile and profile["pronouns"] == "they/them"
    assert BIO not in str(profile)

    # the logs say what was undone: a second /undo finds nothing
    query = select(follow_log.c.target, follow_log.c.status).where(
        follow_log.c.user_id == user_id, follow_log.c.network == "bluesky"
    )
    async with bot.services.db.begin() as conn:
        statuses = dict((await conn.execute(query)).all())  # type: ignore[arg-type]
    assert statuses[friends[0].did] == "already"
    assert statuses[friends[1].did] == statuses[friends[2].did] == "undone"
    assert "nothing for me to take back" in texts(await chat.say("/undo"))


@pytest.mark.parametrize("bot", ["atproto_settings"], indirect=True)
async def test_undo_in_french_one_kind_on_one_network(
    bot: Bot, atproto_network: AtprotoNetwork
) -> None:
    net = atproto_network
    user_id, me = await connected_user(bot, net, "camille")
    friend = net.create_account(f"ami{user_id}{me.did[-6:]}")
    chat = bot.chat("camille")
    await chat.say("/lang fr")
    with_matches(bot, user_id, [bsky(1, "verified", did=friend.did)])
    jobs = runner(bot.services)
    jobs.options.pace = False
    await start_follow(chat, "/follow bluesky")
    await jobs.idle()
    assert "Les comptes de" not in texts(await chat.say("/undo posts"))  # nothing of that kind
    replies = await chat.say("/undo follows bluesky")
    preview = texts(replies)
    assert "Voici ce que j’ai fait sur vos comptes" in preview
    assert "1 abonnement que j’ai créé" in preview
    assert "Tout défaire maintenant ?" in preview
    assert "Bluesky : je défais 1 élément en arrière-plan" in texts(
        await chat.press(button(replies, "undo:ok:"))
    )
    await jobs.idle()
    status = texts(await chat.say("/status"))
    assert "Annulation sur Bluesky : terminée." in status
    assert "Défaits : 1 · ignorés : 0 · en échec : 0 · au total : 1" in status
    assert count(net, me.did, FOLLOW) == 0
    assert "Je n’ai rien à défaire" in texts(await chat.say("/undo"))
