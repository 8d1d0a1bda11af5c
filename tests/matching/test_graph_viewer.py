"""/match counts the accounts the user's own connected Bluesky account follows as accounts
they know (chatbot/matching/graph.py, handlers/match_counts.py): through the real
dispatcher, the in-memory network answering the graph calls."""

from __future__ import annotations

from collections import Counter

from chatbot.archive.model import ParsedArchive, id_array
from chatbot.conversation import Dispatcher
from chatbot.i18n import translator
from chatbot.networks.types import BlueskyProfile
from chatbot.platforms.base import RecordingPlatform
from chatbot.services import Services
from devtools.memnet import MemoryBluesky
from tests.conversation.harness import Chat, texts

PALS = [BlueskyProfile(f"did:plc:pal{i}", f"pal{i}.bsky.social", f"Pal {i}") for i in range(3)]
YAN = BlueskyProfile("did:plc:yan", "yan-x-new.bsky.social", "Yan", "formerly @yan_x on Twitter")
ME = BlueskyProfile("did:plc:me", "me.bsky.social", "Me")


async def _shown(services: Services, dispatcher: Dispatcher) -> str:
    platform = RecordingPlatform(name="telegram")
    return texts(await Chat(dispatcher, platform).say("/match"))


async def test_the_users_own_follows_corroborate(
    net_dispatcher: Dispatcher, net_services: Services
) -> None:
    net = MemoryBluesky([*PALS, YAN, ME])
    for pal in PALS:  # people the user follows on Bluesky, not in the archive, follow yan
        net.follow(ME.did, pal.did)
        net.follow(pal.did, YAN.did)
    net_services.bluesky = net
    user = await net_services.users.get_or_create("telegram", "alice")
    parsed = ParsedArchive(era="manifest", following=id_array([42]))
    parsed.handles = {42: Counter({"yan_x": 2})}
    await net_services.archives.save(user.id, parsed)
    before = await _shown(net_services, net_dispatcher)
    assert "Bluesky: 1 possible" in before and "in your circle" not in before
    # the user is told what connecting would change, in their language
    assert translator("en").plural("match.circle_hint", 1) in before
    assert "Connect your Bluesky account (/connect bluesky)" in before
    assert net.calls.get("get_follows", 0) == 0
    await net_services.accounts.save(
        user.id, "bluesky", handle=ME.handle, service_url="https://pds.example", secret="s",
        did=ME.did,
    )  # fmt: skip
    after = await _shown_fresh(net_services, net_dispatcher)
    assert "Bluesky: 1 likely" in after
    assert "followed by 3 accounts in your circle" in after
    assert "/connect bluesky" not in after  # connected, and nothing left possible
    # a run: one page of the user's own follows, one page of each anchor's follows (the
    # circle), one of the row the graph lifted; at most two runs
    assert 1 <= net.calls["get_follows"] <= 2 * (1 + len(PALS) + 1)


async def _shown_fresh(services: Services, dispatcher: Dispatcher) -> str:
    from handlers.match_counts import user_matches

    user = await services.users.get_or_create("telegram", "alice")
    await user_matches(services, user.id, fresh=True)  # /match within 15 min reuses a run
    return await _shown(services, dispatcher)
