"""Issue 12 on the local AT Protocol network, as a user sees it: real bios, a fan account,
an impostor copying handle + display name + link, Bluesky's own verification, and the
user's decisions followed (or never) by /follow, checked on the server.

Accounts are created on the session's ``@atproto/dev-env`` network, named with a fresh
tag; the bot reads them through the real AppView (`PublicAppView`) and follows through
the account connected with an app password. The dev AppView searches handles only (by
substring), so the real person's handle holds the X name inside a longer label.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from chatbot.accounts import bluesky as bluesky_account
from chatbot.archive.model import ParsedArchive, id_array
from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.networks.bluesky import PublicAppView
from chatbot.platforms.base import RecordingPlatform, Text
from chatbot.services import Services
from handlers import build_registry
from handlers.follow import runner
from tests.accounts.test_bluesky import _app_password
from tests.conversation.harness import Chat, start_follow, texts
from tests.export.test_live import records
from tests.servers.atproto import Account, AtprotoNetwork
from tests.servers.egress import allow_local, local_egress

pytestmark = [pytest.mark.server, pytest.mark.slow]

TAG = secrets.token_hex(3)
X = {who: f"{who}{TAG}" for who in ("ana", "bea", "cal", "dom")}  # X screen names
IDS = {"ana": 9001, "bea": 9002, "cal": 9003, "dom": 9004}


class World:
    def __init__(self, net: AtprotoNetwork) -> None:
        def make(name: str, display: str, bio: str) -> Account:
            return net.create_account(name, display_name=display, description=bio)

        a = X["ana"]
        self.real = make(f"real{a}", "Ana Lima", f"Journaliste. Anciennement @{a} sur Twitter.")
        self.impostor = make(a, "Ana Lima", f"x.com/{a}")  # exact handle, name and link
        self.fan = make(f"{a}fan", "Ana fans", f"Compte fan de @{a}, non officiel")
        self.bea = make(X["bea"], "Bea Verde", "hello")  # the handle, and Bluesky's verification
        self.cal = make(X["cal"], "Cal", "")  # only the handle: possible
        self.dom = make(X["dom"], "Dom", "")  # only the handle: possible
        self.verifier = make(f"verifier{TAG}", "Trusted Verifier", "")
        self.owner = net.create_account(f"owner{TAG}", display_name="Owner")
        net.trust_verifier(self.verifier.did)
        net.verify(self.verifier, self.bea, "Bea Verde")
        accounts = [self.real, self.impostor, self.fan, self.bea, self.cal, self.dom, self.owner]
        net.wait_for_profiles([acc.did for acc in accounts])


@pytest.fixture
async def services(settings: Settings, atproto_network: AtprotoNetwork) -> AsyncIterator[Services]:
    plc = str(atproto_network.info["plc"]).replace("localhost", "127.0.0.1")
    configured = allow_local(settings).model_copy(
        update={"bluesky_resolver_url": atproto_network.pds_url, "bluesky_plc_url": plc}
    )
    services = await Services.start(configured, processes=False)
    reader = PublicAppView(
        atproto_network.appview_url, resolver_url=atproto_network.pds_url, egress=local_egress()
    )
    services.bluesky = reader
    yield services
    await reader.aclose()
    await services.close()


def card(replies: list[object], handle: str) -> Text:
    head = f"→ {handle} ("  # not a longer handle that holds this one
    (found,) = [r for r in replies if isinstance(r, Text) and head in r.text and r.buttons]
    return found


async def test_match_shows_the_evidence_and_follow_obeys_the_users_decisions(
    services: Services, atproto_network: AtprotoNetwork
) -> None:
    net = atproto_network
    world = await asyncio.to_thread(World, net)
    user = await services.users.get_or_create("telegram", "owner")
    parsed = ParsedArchive(era="manifest", following=id_array(sorted(IDS.values())))
    parsed.handles = {IDS[who]: Counter({X[who]: 2}) for who in IDS}
    await services.archives.save(user.id, parsed)
    chat = Chat(
        Dispatcher(services, build_registry()), RecordingPlatform(name="telegram"), user="owner"
    )

    replies = await chat.say("/match")
    shown = texts(replies)
    # the fan account is evidence against: never shown
    assert world.fan.handle not in shown
    # the impostor copied handle, display name and link; the real person says "anciennement
    # @ana… sur Twitter" on another handle: neither is likely, each says the other claims it
    for account in (world.real, world.impostor):
        text = card(replies, account.handle).text
        assert text.startswith(f"[possible] Bluesky: X @{X['ana']} → {account.handle}")
        assert f"another account also claims @{X['ana']}" in text
    assert "its bio links to the X account" in card(replies, world.real.handle).text
    # Bluesky's own verification lifts the exact handle to likely
    bea = card(replies, world.bea.handle).text
    assert bea.startswith(f"[likely] Bluesky: X @{X['bea']} → {world.bea.handle}")
    assert f"verified on Bluesky by {world.verifier.handle}" in bea
    # the user confirms cal (possible) and rejects dom (possible)
    for account, action, said in ((world.cal, "m:c:", "same person"),
                                  (world.dom, "m:r:", "someone else")):  # fmt: skip
        (data,) = [b.data for b in card(replies, account.handle).buttons[0]
                   if b.data.startswith(action)]  # fmt: skip
        assert said in texts(await chat.press(data))
    again = texts(await chat.say("/match"))
    assert world.dom.handle not in again  # a rejected match never comes back

    password = await asyncio.to_thread(_app_password, net, world.owner.handle)
    await bluesky_account.connect(services, user.id, world.owner.handle, password)
    jobs = runner(services)
    jobs.options.pace = False

    async def followed() -> set[str]:
        await jobs.idle()
        found = await asyncio.to_thread(
            records, net.pds_url, world.owner.did, "app.bsky.graph.follow"
        )
        return {r["value"]["subject"] for r in found}

    said = texts(await start_follow(chat, "/follow bluesky"))
    assert "following 1 account on Bluesky" in said
    assert await followed() == {world.cal.did}  # the confirmed "possible", nothing else
    said = texts(await start_follow(chat, "/follow bluesky likely"))
    assert await followed() == {world.cal.did, world.bea.did}  # never dom, never the impostor
