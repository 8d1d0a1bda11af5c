"""After an upload: matching in the background, counts per direction, outages, /forget."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from chatbot.archive.model import ParsedArchive, id_array
from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.i18n import translator
from chatbot.matching.model import DirectoryEntry
from chatbot.networks.types import BlueskyProfile, MastodonAccount
from chatbot.platforms.base import Image, RecordingPlatform, Text
from chatbot.services import LazyReader, Services
from chatbot.storage.directory import DecisionStore, DirectoryStore
from chatbot.storage.links import UserLinks
from devtools.memnet import MemoryBluesky, MemoryMastodon
from tests.conversation.harness import SAMPLES, Chat, make_zip, texts
from tests.storage.aging import age_users

DOGSHEEP = SAMPLES / "dogsheep-twitter-to-sqlite-2019"
FOLLOWED, FOLLOWER = 547842573, 73747798  # in the sample's following.js and follower.js


@pytest.fixture
def simonw_zip(tmp_path: Path) -> Path:
    return make_zip(
        tmp_path / "twitter-2019-10-10-abc.zip",
        {name: DOGSHEEP / name for name in ("account.js", "follower.js", "following.js")},
    )


async def _directory(services: Services) -> None:
    store = DirectoryStore(services.db)
    await store.save(
        DirectoryEntry(FOLLOWED, "friend", "bluesky", "friend.bsky.social", did="did:plc:fr")
    )
    await store.save(
        DirectoryEntry(FOLLOWER, "fan", "mastodon", "fan@ex.social", acct="fan@ex.social")
    )
    assert isinstance(services.bluesky, MemoryBluesky)
    services.bluesky.add([BlueskyProfile("did:plc:fr", "friend.bsky.social")])
    assert isinstance(services.mastodon, MemoryMastodon)
    services.mastodon.add(MastodonAccount("fan@ex.social", "https://ex.social/@fan"))


@pytest.mark.parametrize(
    ("hint", "followed", "followers", "pointer"),
    [
        ("en", "Accounts you followed on X", "People who followed you on X", "Send /match"),
        ("fr", "Comptes que vous suiviez sur X", "Personnes qui vous suivaient", "Envoyez /match"),
    ],
)
async def test_counts_per_direction_after_upload(
    net_dispatcher: Dispatcher,
    net_services: Services,
    telegram: RecordingPlatform,
    simonw_zip: Path,
    hint: str,
    followed: str,
    followers: str,
    pointer: str,
) -> None:
    await _directory(net_services)
    chat = Chat(net_dispatcher, telegram, language_hint=hint)
    replies = await chat.upload(simonw_zip)
    shown = texts(replies)
    assert "@simonw" in shown  # the summary first
    counts, chart = replies[-2:]  # the counts, then the chart of where the network went
    assert isinstance(counts, Text)
    assert isinstance(chart, Image) and chart.name == "network.png"
    head, tail = counts.text.split(followers)
    colon = " :" if hint == "fr" else ":"  # French puts a space before the colon
    assert followed in head and f"Bluesky{colon} 1" in head and "Mastodon" not in head
    # the Bluesky match is possible and Bluesky is not connected: what connecting changes
    circle = translator(hint).plural("match.circle_hint", 1)
    assert circle in tail
    tail = tail.replace(circle, "")
    assert f"Mastodon{colon} 1" in tail and "Bluesky" not in tail and pointer in tail
    assert [b.data for row in counts.buttons for b in row] == ["notify:on"]


async def test_network_down_keeps_the_summary_and_points_to_match(
    net_dispatcher: Dispatcher,
    net_services: Services,
    telegram: RecordingPlatform,
    simonw_zip: Path,
) -> None:
    await _directory(net_services)
    assert isinstance(net_services.bluesky, MemoryBluesky)
    net_services.bluesky.down = True
    chat = Chat(net_dispatcher, telegram)
    shown = texts(await chat.upload(simonw_zip))
    assert "@simonw (Simon Willison)" in shown
    assert "Bluesky did not answer" in shown and "send /match in a while" in shown
    assert "Bluesky did not answer" in texts(await chat.say("/match"))
    assert "please send /match again" in texts(await chat.say("/match"))
    net_services.bluesky.down = False
    assert "Bluesky: 1 possible" in texts(await chat.say("/match"))
    fr = Chat(net_dispatcher, telegram, user="bea", language_hint="fr")
    net_services.bluesky.down = True
    assert "Bluesky n’a pas répondu" in texts(await fr.upload(simonw_zip))


class SlowBluesky(MemoryBluesky):
    """Holds every request until `gate` opens."""

    gate: asyncio.Event

    async def get_profiles(
        self, actors: Sequence[str], *, fresh: bool = False
    ) -> list[BlueskyProfile]:
        await self.gate.wait()
        return await super().get_profiles(actors)


async def test_matching_never_blocks_anyone(
    net_dispatcher: Dispatcher,
    net_services: Services,
    telegram: RecordingPlatform,
    simonw_zip: Path,
) -> None:
    slow = SlowBluesky()
    slow.gate = asyncio.Event()
    net_services.bluesky = slow
    await _directory(net_services)
    alice = Chat(net_dispatcher, telegram)
    alice.wait_for_jobs = False
    await alice.upload(simonw_zip)
    shown = texts(await alice.wait_for("Now looking for your X contacts"))
    assert "Now looking for your X contacts" in shown
    assert "@simonw" in texts(await alice.say("/summary"))  # her own chat is not queued
    bob = Chat(net_dispatcher, telegram, user="bob")
    bob.wait_for_jobs = False
    assert "What I can do" in texts(await bob.say("/help"))
    slow.gate.set()
    await net_services.jobs.idle()
    assert "Bluesky: 1 possible" in texts(alice.new_replies())


async def test_forget_removes_links_decisions_and_observations(
    net_dispatcher: Dispatcher, net_services: Services, telegram: RecordingPlatform
) -> None:
    user = await net_services.users.get_or_create("telegram", "alice")
    parsed = ParsedArchive(era="manifest", following=id_array([FOLLOWED]))
    parsed.handles = {FOLLOWED: Counter({"friend": 2})}
    await net_services.archives.save(user.id, parsed)
    await age_users(net_services.db, [user.id])  # an established user: their archive counts
    store = DirectoryStore(net_services.db)
    await store.refresh_observations([FOLLOWED])
    assert (await store.observations([FOLLOWED], [])).names(FOLLOWED) == {"friend": 1}
    mine = DirectoryEntry(5, "alice", "bluesky", "alice.bsky.social", did="did:plc:alice")
    await store.save(mine, user_id=user.id)
    await DecisionStore(net_services.db).decide(user.id, FOLLOWED, "bluesky", "x", "rejected")
    chat = Chat(net_dispatcher, telegram)
    await chat.say("/forget")
    assert "deleted everything" in texts(await chat.press("forget:yes"))
    assert await store.entries([5]) == {}
    assert await UserLinks(net_services.db).of_user(user.id) == []
    assert await DecisionStore(net_services.db).load(user.id) == {}
    assert (await store.observations([FOLLOWED], [])).names(FOLLOWED) == {}


async def test_services_build_the_network_readers_unless_offline(settings: Settings) -> None:
    online = await Services.start(
        settings.model_copy(update={"matching_offline": False}), processes=False
    )
    try:  # built on first use (their HTTP client is heavy), then the real clients
        readers = [online.bluesky, online.mastodon, online.oembed]
        assert all(isinstance(r, LazyReader) and not r.built for r in readers)
        names = [type(r.resolve()).__name__ for r in readers if isinstance(r, LazyReader)]
        assert names == ["PublicAppView", "MastodonLookup", "XOembedClient"]
    finally:
        await online.close()
    offline = await Services.start(settings, processes=False)  # tests run offline
    try:
        assert (offline.bluesky, offline.mastodon, offline.oembed) == (None, None, None)
    finally:
        await offline.close()
