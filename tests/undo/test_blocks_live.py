"""Blocks and mutes carried over from X on the dev network, never followed, then undone.

The archive's block.js and mute.js ids are matched through the directory (organisation
rosters vouch for them: verified; an unproved link stays "possible" and is never acted
on). /blocks previews; only the button writes: block records and mutes on Bluesky, or
Mastodon's import files. /follow never follows a blocked account; /undo blocks takes the
blocks and mutes back.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from chatbot.archive.model import Owner, ParsedArchive, id_array
from chatbot.matching.model import DirectoryEntry
from chatbot.storage.directory import DirectoryStore
from handlers.follow import runner
from tests.accounts.conftest import Bot
from tests.conversation.harness import start_follow, texts
from tests.export.matches import bsky
from tests.export.test_conversation import FilePlatform
from tests.export.test_live import records
from tests.servers.atproto import AtprotoNetwork
from tests.undo.live import FOLLOW, button, connected_user, mutes, with_matches

BLOCK = "app.bsky.graph.block"
BLOCKED, UNSURE, MUTED, FRIEND = 101, 102, 103, 104


def vouched(x_id: int, network: str, target: str, *, proved: bool = True) -> DirectoryEntry:
    """A directory link whose two sides are proved (verified: the new account by its
    owner's login, the X side by a post its owner's archive agrees with), or a claim."""
    bluesky = network == "bluesky"
    return DirectoryEntry(
        x_id, f"x{x_id}", network, target, did=target if bluesky else None,  # type: ignore[arg-type]
        acct=None if bluesky else target,
        new_account_proof="login" if proved else "none", x_proof="oembed" if proved else "none",
    )  # fmt: skip


@pytest.mark.parametrize("bot", ["atproto_settings"], indirect=True)
async def test_blocks_and_mutes_carried_over_never_followed_and_undone(
    bot: Bot, atproto_network: AtprotoNetwork
) -> None:
    net = atproto_network
    user_id, me = await connected_user(bot, net, "bea")
    tag = me.did[-6:]
    blockee, unsure, mutee, friend = (net.create_account(f"{n}{tag}")
                                      for n in ("blk", "uns", "mut", "fri"))  # fmt: skip
    parsed = ParsedArchive(
        era="manifest", owner=Owner("555", "bea_x", "Bea"),
        following=id_array([FRIEND]), blocked=id_array([BLOCKED, UNSURE]),
        muted=id_array([MUTED]),
        handles={x: Counter({f"x{x}": 1}) for x in (BLOCKED, UNSURE, MUTED, FRIEND)},
    )  # fmt: skip
    await bot.services.archives.save(user_id, parsed)
    directory = DirectoryStore(bot.services.db)
    for entry in (
        vouched(BLOCKED, "bluesky", blockee.did),
        vouched(UNSURE, "bluesky", unsure.did, proved=False),
        vouched(MUTED, "bluesky", mutee.did),
        vouched(FRIEND, "bluesky", friend.did),
        vouched(BLOCKED, "mastodon", "blockee@masto.example"),
        vouched(MUTED, "mastodon", "mutee@masto.example"),
    ):
        await directory.save(entry)
    bot.platform = FilePlatform(name="telegram")
    chat = bot.chat("bea")

    replies = await chat.say("/blocks")
    preview = texts(replies)
    assert "Your X archive lists 2 blocked accounts." in preview
    assert "It lists 1 muted account." in preview
    assert "• Bluesky: 1 to block, 1 to mute" in preview  # the unproved link is left out
    assert "• Mastodon: 1 to block, 1 to mute" in preview
    assert records(net.pds_url, me.did, BLOCK) == [], "nothing before the button"

    said = texts(await chat.press(button(replies, "blk:go:b")))
    assert "Carrying 2 accounts over to Bluesky" in said
    jobs = runner(bot.services)
    jobs.options.pace = False
    await jobs.idle()
    assert "Blocks on Bluesky: finished." in texts(await chat.say("/status"))
    assert [r["value"]["subject"] for r in records(net.pds_url, me.did, BLOCK)] == [blockee.did]
    assert await asyncio.to_thread(mutes, net, me) == {mutee.did}

    # the Mastodon files: the exact headers, named so Mastodon guesses their type
    await chat.press("blk:go:m")
    files = bot.platform.files
    assert files["blocked_accounts.csv"] == b"Account address\nblockee@masto.example\n"
    assert files["muted_accounts.csv"] == (
        b"Account address,Hide notifications\nmutee@masto.example,true\n"
    )

    # follow matching leaves blocked and muted accounts out; and even when a blocked
    # account comes up as a match (another X id), the follow job never follows it
    assert "following 1 account on Bluesky" in texts(await start_follow(chat, "/follow bluesky"))
    await jobs.idle()
    assert [r["value"]["subject"] for r in records(net.pds_url, me.did, FOLLOW)] == [friend.did]
    with_matches(bot, user_id, [bsky(1, did=blockee.did), bsky(2, did=friend.did)])
    await start_follow(chat, "/follow bluesky")
    await jobs.idle()
    assert "1 you block or mute" in texts(await chat.say("/status"))
    assert [r["value"]["subject"] for r in records(net.pds_url, me.did, FOLLOW)] == [friend.did]

    replies = await chat.say("/undo blocks")
    assert "2 blocks and mutes I carried over from X" in texts(replies)
    await chat.press(button(replies, "undo:ok:"))
    await jobs.idle()
    assert records(net.pds_url, me.did, BLOCK) == []
    assert await asyncio.to_thread(mutes, net, me) == set()
    assert [r["value"]["subject"] for r in records(net.pds_url, me.did, FOLLOW)] == [friend.did]
