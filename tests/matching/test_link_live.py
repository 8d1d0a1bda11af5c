"""`/link check` reads the account as it is now (issue 11, item 10a), against the local AT
Protocol network and mastodon-mock.

The documented order is: /link (the bot reads the profile and gives a code), put the code in
the bio, /link check. Any profile the bot read, through anyone's matching too, used to stay
cached for a day, so the check kept answering "I don't see the code".
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from chatbot.archive.model import Owner, ParsedArchive
from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.networks.mastodon import MastodonLookup
from chatbot.platforms.base import RecordingPlatform
from chatbot.services import Services
from handlers import build_registry
from tests.conversation.harness import Chat, texts
from tests.servers.atproto import Account, AtprotoNetwork
from tests.servers.egress import allow_local, local_egress
from tests.servers.fixtures import atproto_network, mastodon_server
from tests.servers.mastodon import MastodonServer

__all__ = ["atproto_network", "mastodon_server"]

pytestmark = pytest.mark.server
CODE = re.compile(r"xb-[a-z0-9]{10}")


@pytest.fixture
async def live(settings: Settings, atproto_network: AtprotoNetwork) -> AsyncIterator[Services]:
    online = allow_local(settings).model_copy(
        update={"matching_offline": False, "bluesky_appview_url": atproto_network.appview_url}
    )
    services = await Services.start(online, processes=False)
    services.mastodon = services.oembed = None
    try:
        yield services
    finally:
        await services.close()


def wait_for_bio(net: AtprotoNetwork, account: Account, text: str, timeout: float = 20) -> None:
    """Until the AppView shows `text` in the account's bio (it indexes eventually)."""
    deadline = time.monotonic() + timeout
    while True:
        net.flush()
        response = httpx.get(
            net.appview_url + "/xrpc/app.bsky.actor.getProfile",
            params={"actor": account.did},
            timeout=30,
        )
        if text in (response.json().get("description") or ""):
            return
        assert time.monotonic() < deadline, "the AppView never showed the new bio"
        time.sleep(0.2)


async def test_link_check_sees_the_code_just_put_in_the_bio(
    live: Services, atproto_network: AtprotoNetwork
) -> None:
    net = atproto_network
    account = net.create_account(f"k{secrets.token_hex(4)}", description="hello")
    await asyncio.to_thread(net.wait_for_profiles, [account.did])
    user = await live.users.get_or_create("telegram", "alice")
    archive = ParsedArchive(era="manifest", owner=Owner("7100", "alice_x"))
    await live.archives.save(user.id, archive)
    assert live.bluesky is not None
    await live.bluesky.get_profiles([account.did])  # read before, e.g. by someone's matching
    chat = Chat(Dispatcher(live, build_registry()), RecordingPlatform(name="telegram"))
    [code] = set(CODE.findall(texts(await chat.say(f"/link bluesky {account.handle}"))))
    await chat.press("findable:on")

    net.put_profile(account, description=f"hello {code}")
    await asyncio.to_thread(wait_for_bio, net, account, code)
    assert "proved to be yours" in texts(await chat.say("/link check"))


async def test_a_fresh_mastodon_lookup_asks_the_server_again(
    mastodon_server: MastodonServer,
) -> None:
    lookup = MastodonLookup(mastodon_server.url, webfinger=False, egress=local_egress())
    try:
        acct = f"alice@{mastodon_server.domain}"
        assert await lookup.lookup(acct) is not None
        asked = lookup.requests
        assert await lookup.lookup(acct) is not None
        assert lookup.requests == asked  # from the cache: what matching does
        assert await lookup.lookup(acct, fresh=True) is not None
        assert lookup.requests > asked  # a proof check reads the account as it is now
    finally:
        await lookup.aclose()
