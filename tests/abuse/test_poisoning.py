"""Directory poisoning (threat model §4.2) through the real dispatcher, on SQLite and PostgreSQL,
with the local AT Protocol network and the X oEmbed stand-in.

Mallory wants every follower of the victim V to follow her Bluesky account. With as many chat
accounts as she likes, she:

1. uploads an archive whose ``account.js`` carries V's id (and V's name);
2. links her own Bluesky account and proves it with the bot's code in its bio;
3. sets up her own group as an organisation and vouches "V -> her DID" in its roster CSV
   (4: the bio-code proof of step 2 must not land on that roster row);
5. posts the bot's code from her own X account, claims V under that name, and has k brand-new
   chat accounts upload archives mentioning V under that name (k = 2, 5, 20);
6. is a listed member of her organisation with a connected account whose handle a fake PDS
   chose (a "login" proof).

Then Bob, who follows V, uploads his archive: whatever Mallory combined, his match for V is
neither verified nor eligible for automatic follow, and the k forged archives change nothing.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.services import Services
from chatbot.storage.db import Database
from handlers import build_registry
from tests.abuse.forged import forged_zip
from tests.conversation.harness import Chat, texts
from tests.orgs.conftest import GroupPlatform
from tests.orgs.test_group import NAME, join_privately
from tests.servers.atproto import AtprotoNetwork
from tests.servers.egress import allow_local
from tests.servers.fixtures import atproto_network
from tests.servers.oembed_standin import OembedStandin

__all__ = ["atproto_network"]

pytestmark = [pytest.mark.server, pytest.mark.slow]

STEPS = {
    "roster": {"forge", "roster"},
    "link": {"forge", "link"},
    "link_roster": {"forge", "link", "roster"},
    "login_member": {"forge", "login_member"},
    "observers": {"observers"},
    "all": {"forge", "link", "roster", "login_member", "observers"},
}


@pytest.fixture
async def standin() -> AsyncIterator[tuple[OembedStandin, str]]:
    oembed = OembedStandin()
    async with oembed.running() as endpoint:
        yield oembed, endpoint


@pytest.fixture
async def services(
    settings: Settings,
    database: Database,
    atproto_network: AtprotoNetwork,
    standin: tuple[OembedStandin, str],
) -> AsyncIterator[Services]:
    """The bot on the test database, reading the local network and the oEmbed stand-in."""
    live = allow_local(settings).model_copy(
        update={
            "database_url": database.engine.url.render_as_string(hide_password=False),
            "matching_offline": False,
            "bluesky_appview_url": atproto_network.appview_url,
            "x_oembed_url": standin[1],
        }
    )
    services = await Services.start(live, processes=False)
    services.mastodon = None  # nothing here is on Mastodon
    try:
        yield services
    finally:
        await services.close()


class Attack:
    """Mallory's chat accounts, her group, and Bob, all talking to one bot."""

    def __init__(
        self, services: Services, net: AtprotoNetwork, oembed: OembedStandin, folder: Path
    ) -> None:
        self.services, self.net, self.oembed, self.folder = services, net, oembed, folder
        self.dispatcher = Dispatcher(services, build_registry())
        self.dispatcher.throttle.limit = 10_000  # many messages from each account, on purpose
        self.dispatcher.upload_throttle.limit = 10_000
        self.platform = GroupPlatform(name="telegram", chat_admins={"mallory"})
        self.tag = secrets.token_hex(3)
        self.victim = 7_000_000_000 + secrets.randbelow(10**9)
        self.victim_name = f"vic{self.tag}"
        self.mallory_x = f"mal{self.tag}"  # the X account Mallory really posts from
        self.files = 0
        self.chats: dict[tuple[str, bool], Chat] = {}

    def chat(self, user: str, *, group: bool = False) -> Chat:
        """The user's chat (one object each: its replies are what is new)."""
        if (user, group) not in self.chats:
            where = {"chat": "evil-group", "private": False} if group else {}
            self.chats[user, group] = Chat(self.dispatcher, self.platform, user=user, **where)  # type: ignore[arg-type]
        return self.chats[user, group]

    async def upload(self, user: str, **fields: Any) -> str:
        self.files += 1
        archive = forged_zip(self.folder / f"archive-{self.files}.zip", **fields)
        return texts(await self.chat(user).upload(archive))

    async def forge(self, user: str, username: str) -> None:
        """Step 1: an archive claiming the victim's X id."""
        said = await self.upload(user, account_id=str(self.victim), username=username)
        assert "damaged" not in said, said

    async def own_account(self, user: str) -> tuple[str, str, str]:
        """Step 2, first half: learn the bot's code (by linking a decoy account), then create
        an own Bluesky account with that code in its bio; (DID, handle, code)."""
        chat = self.chat(user)
        decoy = await asyncio.to_thread(self.account, f"d{user}")
        said = texts(await chat.say(f"/link bluesky {decoy[1]}"))
        code = next(word for word in said.split() if word.startswith("xb-"))
        await chat.press("findable:on")
        did, handle = await asyncio.to_thread(self.account, f"m{user}", description=f"hi {code}")
        return did, handle, code

    async def link_own(self, user: str, handle: str) -> None:
        """Step 2, second half: link the own account and prove it (/link check)."""
        chat = self.chat(user)
        await chat.say(f"/link bluesky {handle}")
        assert "proved to be yours" in texts(await chat.say("/link check"))

    async def roster(self, did: str) -> None:
        """Step 3: Mallory's own group vouches "victim -> her DID"."""
        group = self.chat("mallory", group=True)
        assert "registered" in texts(await group.say(f"/group setup {NAME}"))
        await group.say("/group roster")
        csv_path = self.folder / "roster.csv"
        csv_path.write_text(f"x_username,bluesky,mastodon,x_id\n{self.victim_name},{did},,"
                            f"{self.victim}\n")  # fmt: skip
        said = texts(await self.chat("mallory").upload(csv_path, "roster.csv"))
        assert "Imported 1 account" in said, said

    async def login_member(self, did: str) -> None:
        """Step 6: a listed member whose connected account carries a handle a PDS chose."""
        user = await self.services.users.get_or_create("telegram", "mallory6")
        await self.services.accounts.save(
            user.id, "bluesky", handle=f"{self.victim_name}.bsky.social",
            service_url="https://pds.invalid", secret="s", did=did,
        )  # fmt: skip
        await self.forge("mallory6", self.victim_name)
        said = texts(await self.chat("mallory6", group=True).say("/join"))
        token = said.split("start=join_")[1].split()[0]
        await join_privately(self.dispatcher, self.platform, "mallory6", token, listed=True)

    async def oembed_proof(self) -> None:
        """Step 5, first half: Mallory claims the victim's id under her own X name and posts
        the bot's code from that X account."""
        await self.forge("mallory5", self.mallory_x)
        _, handle, code = await self.own_account("mallory5")
        await self.link_own("mallory5", handle)
        post = self.oembed.add_post(str(1_700_000_000_000_000_000 + self.victim % 1000),
                                    self.mallory_x, "Mallory", f"me: {code}")  # fmt: skip
        said = texts(await self.chat("mallory5").say(f"/link x {post}"))
        assert "proved" in said or "confirm" in said, said

    async def observers(self, start: int, end: int) -> None:
        """Step 5, second half: brand-new chat accounts mention the victim as Mallory."""
        for number in range(start, end):
            await self.upload(
                f"sybil{number}",
                account_id=str(8_000_000_000 + number),
                username=f"s{number}{self.tag}",
                mentions=[(self.victim, self.mallory_x)],
            )

    async def bob_sees(self) -> list[dict[str, Any]]:
        """What Bob's export says about the victim (tier, eligibility, reasons)."""
        bob = self.chat("bob")
        await bob.say("/match")
        self.platform.files.clear()
        said = texts(await bob.say("/export"))
        if "matches.json" not in self.platform.files:
            assert "Nothing to export" in said, said
            return []
        document = json.loads(self.platform.files["matches.json"])
        return [m for m in document["matches"] if m["x_id"] == str(self.victim)]

    def account(self, name: str, **profile: str) -> tuple[str, str]:
        """A new Bluesky account of Mallory's, once the AppView shows it: (DID, handle)."""
        account = self.net.create_account(f"{name[:12]}{self.tag}", **profile)
        self.net.wait_for_profiles([account.did])
        return account.did, account.handle

    async def bob_uploads(self) -> None:
        said = await self.upload(
            "bob",
            account_id="555000111",
            username=f"bob{self.tag}",
            following=[self.victim],
            mentions=[(self.victim, self.victim_name)],
        )
        assert "found elsewhere" in said or "contacts" in said, said


def tiers(found: list[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    return sorted((m["handle"] or "", m["tier"], m["eligible"]) for m in found)


@pytest.mark.parametrize("scenario", sorted(STEPS))
async def test_no_combination_makes_an_impostor_verified_or_auto_followed(
    scenario: str,
    services: Services,
    atproto_network: AtprotoNetwork,
    standin: tuple[OembedStandin, str],
    tmp_path: Path,
) -> None:
    steps = STEPS[scenario]
    attack = Attack(services, atproto_network, standin[0], tmp_path)
    did = handle = None
    if "forge" in steps:
        await attack.forge("mallory", attack.victim_name)
    if "link" in steps:
        did, handle, _ = await attack.own_account("mallory")
    if "roster" in steps:  # vouched for before the bio proof: step 4 needs this order
        if did is None:
            did, _ = await asyncio.to_thread(attack.account, "r")
        await attack.roster(did)
    if handle is not None:
        await attack.link_own("mallory", handle)
    if "login_member" in steps:
        if "roster" not in steps:
            assert "registered" in texts(
                await attack.chat("mallory", group=True).say(f"/group setup {NAME}")
            )
        if did is None:
            did, _ = await asyncio.to_thread(attack.account, "l")
        await attack.login_member(did)
    if "observers" in steps:
        await attack.oembed_proof()

    await attack.bob_uploads()
    before = await attack.bob_sees()
    assert before, "Bob is shown Mallory's claim, as a claim"
    for match in before:
        assert match["tier"] != "verified", (scenario, match)
        assert not match["eligible"], (scenario, match)
        assert match["reasons"][0]["code"] == "directory_claimed", (scenario, match)
    if "observers" not in steps:
        return
    shown = tiers(before)
    done = 0
    for k in (2, 5, 20):  # D5: k forged archives from k new chat accounts change nothing
        await attack.observers(done, k)
        done = k
        after = await attack.bob_sees()
        assert tiers(after) == shown, (k, after)
