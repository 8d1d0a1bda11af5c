"""/import posts as a user sees it: dry run, confirmation, the job, on the real dev network."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import time
from pathlib import Path

import pytest

from chatbot.accounts import bluesky as bluesky_account
from chatbot.posts.store import PostStore
from devtools.archivegen import ArchiveSpec, generate
from handlers.follow import runner
from tests.accounts.conftest import Bot
from tests.accounts.test_bluesky import _app_password
from tests.conversation.harness import texts
from tests.export.matches import bsky
from tests.posts.test_import_live import post_records
from tests.servers.atproto import AtprotoNetwork


@pytest.mark.parametrize("bot", ["atproto_settings"], indirect=True)
async def test_dry_run_then_import_from_the_chat(
    bot: Bot, atproto_network: AtprotoNetwork, tmp_path: Path
) -> None:
    net = atproto_network
    archive = generate(ArchiveSpec(era="H", tweets=60, seed=3), tmp_path / "x.zip").path
    user = await bot.services.users.get_or_create("telegram", "alice")
    friend = net.create_account("m" + secrets.token_hex(5), display_name="Heidi")
    # a sure match of an account the posts mention: its @name becomes a mention facet
    heidi = dataclasses.replace(bsky(1, "verified", did=friend.did), x_username="heidi_34x")
    bot.services.match_cache[user.id] = (time.monotonic(), [heidi])
    chat = bot.chat()

    asked = texts(await chat.say("/import posts dry"))
    assert "send your X archive (the .zip) again" in asked
    said = texts(await chat.upload(archive))
    assert "Left out:" in said and "replies to other people" in said and "reposts" in said
    assert "Ready to import:\n28 posts, from " in said
    assert "long posts go as short threads" in said
    assert "How your newest posts will look:" in said and "(1/2) " in said
    assert "That was a dry run: nothing was posted." in said
    assert not list((bot.services.settings.uploads_dir).iterdir()), "the upload was deleted"

    said = texts(await chat.say("/import posts"))  # prepared earlier: no second upload
    assert "Your posts prepared earlier are still here" in said
    assert "Connect your Bluesky account first with /connect bluesky" in said

    owner = net.create_account("i" + secrets.token_hex(5), display_name="Importer")
    password = await asyncio.to_thread(_app_password, net, owner.handle)
    await bluesky_account.connect(bot.services, user.id, owner.handle, password)
    jobs = runner(bot.services)
    jobs.options.pace = False  # the budget's pacing is tested with a simulated clock
    said = texts(await chat.say("/import posts"))
    assert f"Post these 28 posts on Bluesky as {owner.handle}?" in said
    assert "Nothing was posted" in texts(await chat.press("posts:no"))
    assert post_records(net.pds_url, owner.did) == {}
    await chat.say("/import posts")
    said = texts(await chat.press("posts:go"))
    assert "Started: 28 posts go to Bluesky in the background" in said
    await jobs.idle()
    status = texts(await chat.say("/status"))
    assert "Posts to Bluesky: finished." in status and "28 posted" in status
    records = post_records(net.pds_url, owner.did)
    assert len(records) == 30  # 28 posts, two of them long enough for a second part
    mentions = [feature["did"] for record in records.values()
                for facet in record.get("facets", []) for feature in facet["features"]
                if feature["$type"] == "app.bsky.richtext.facet#mention"]  # fmt: skip
    assert mentions == [friend.did]
    assert await PostStore(bot.services.db).count(user.id) == 0
    assert "send your X archive" in texts(await chat.say("/import posts"))  # all used up


async def test_french_usage_and_an_archive_without_posts(bot: Bot, tmp_path: Path) -> None:
    chat = bot.chat(language_hint="fr")
    assert "Utilisation : /import posts [dry]" in texts(await chat.say("/import"))
    assert "Utilisation" in texts(await chat.say("/import posts 2019-13"))
    assert "Envoyez de nouveau votre archive X" in texts(await chat.say("/import posts 2019"))
    archive = generate(ArchiveSpec(era="H", tweets=30, seed=5), tmp_path / "x.zip").path
    said = texts(await chat.upload(archive))
    assert "Il n’y a rien à importer de cette archive." in said
    assert "hors des dates choisies" in said
