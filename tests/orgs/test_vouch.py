"""An organisation's vouch through the real dispatcher, on SQLite and PostgreSQL (threat model
§4.2 D4, D6): it counts only once the organisation's own account is proved and the bot's
administrators approved it, never alone for automatic follows, and retracting its source
(the organisation deleted, a report acted on, the owner's /forget) takes back what it
supported, for every user."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chatbot.archive.model import Owner, ParsedArchive, id_array
from chatbot.conversation import Dispatcher
from chatbot.networks.types import BlueskyProfile
from chatbot.orgs import OrgStore
from chatbot.services import Services
from devtools.memnet import MemoryBluesky
from tests.conversation.harness import Chat, texts
from tests.orgs.conftest import GROUP, GroupPlatform, in_group, private, user_id
from tests.orgs.test_group import setup_org

VICTIM = 4_000_000_004
DID = "did:plc:" + "v" * 24  # the victim's Bluesky account
CODE = re.compile(r"xb-[a-z0-9]{10}")


@dataclass
class World:
    dispatcher: Dispatcher
    platform: GroupPlatform
    services: Services
    bluesky: MemoryBluesky
    org_id: int = 0
    chats: dict[str, Chat] = field(default_factory=dict)

    def chat(self, user: str) -> Chat:
        """The user's private chat (one per user: its replies are what is new)."""
        if user not in self.chats:
            self.chats[user] = private(self.dispatcher, self.platform, user)
        return self.chats[user]

    async def tier_for(self, user: str) -> str:
        """What `user`'s /match says about the victim's account: its headline's tier."""
        said = texts(await self.chat(user).say("/match"))
        line = next((ln for ln in said.splitlines() if "v.example.org" in ln), "")
        found = re.search(r"\[(verified|likely|possible)\]", line)
        return found.group(1) if found else "none"


@pytest.fixture
async def world(
    dispatcher: Dispatcher, platform: GroupPlatform, services: Services, tmp_path: Path
) -> AsyncIterator[World]:
    """An organisation vouching "victim -> DID" in its roster, two followers of the
    victim (bob, carol), and a bot administrator (root)."""
    services.settings.admins.append("telegram:root")
    bluesky = MemoryBluesky()
    services.bluesky = bluesky
    w = World(dispatcher, platform, services, bluesky)
    await private(dispatcher, platform, "boss").say("/start")
    await setup_org(dispatcher, platform)
    org = await OrgStore(services.db).by_chat("telegram", GROUP)
    assert org is not None
    w.org_id = org.id
    boss = in_group(dispatcher, platform, "boss")
    await boss.say("/group roster")
    roster = tmp_path / "roster.csv"
    roster.write_text(f"x_username,bluesky,mastodon,x_id\nvictim_x,{DID},,{VICTIM}\n")
    assert "Imported 1 account" in texts(await w.chat("boss").upload(roster, "roster.csv"))
    for name in ("bob", "carol"):
        parsed = ParsedArchive(era="manifest", following=id_array([VICTIM]))
        await services.archives.save(await user_id(services, name), parsed)
    bluesky.add([BlueskyProfile(DID, "v.example.org")])
    yield w
    services.bluesky = None


async def prove_org_account(w: World) -> None:
    boss = in_group(w.dispatcher, w.platform, "boss")
    said = texts(await boss.say("/group account bluesky mairie.example.org"))
    [code] = set(CODE.findall(said))
    assert "I don't see the code" in texts(await boss.say("/group account check"))
    w.bluesky.add([BlueskyProfile("did:plc:" + "m" * 24, "mairie.example.org", description=code)])
    assert "is proved" in texts(await boss.say("/group account check"))


async def owner_proves(w: World) -> None:
    """The victim, owner of the DID, links it and proves it with the code in its bio."""
    await w.services.archives.save(
        await user_id(w.services, "vic"),
        ParsedArchive(era="manifest", owner=Owner(str(VICTIM), "victim_x")),
    )
    vic = w.chat("vic")
    [code] = set(CODE.findall(texts(await vic.say("/link bluesky v.example.org"))))
    await vic.press("findable:on")
    w.bluesky.add([BlueskyProfile(DID, "v.example.org", description=code)])
    assert "proved to be yours" in texts(await vic.say("/link check"))


async def test_an_approved_organisations_vouch_alone_is_never_followed_unasked(
    world: World,
) -> None:
    w = world
    assert await w.tier_for("bob") == "possible"  # a group's claim, nobody approved it
    root = w.chat("root")
    assert "administrators" in texts(await w.chat("bob").say(f"/orgs approve {w.org_id}"))
    assert "no proved account" in texts(await root.say(f"/orgs approve {w.org_id}"))
    assert await w.tier_for("bob") == "possible"
    await prove_org_account(w)
    listing = texts(await root.say("/orgs"))
    assert f"#{w.org_id} Mairie de Testville" in listing and "proved ✓" in listing
    assert "is approved" in texts(await root.say(f"/orgs approve {w.org_id}"))
    assert await w.tier_for("bob") == "likely"  # vouched for: followed only if confirmed
    shown = texts(await w.chat("bob").say("/match"))
    assert "Vouched for by the organisation “Mairie de Testville”" in shown

    await owner_proves(w)  # the owner of the DID: the code in its bio
    assert await w.tier_for("bob") == "verified"

    # a new account for the organisation ends the approval
    boss = in_group(w.dispatcher, w.platform, "boss")
    await boss.say("/group account bluesky other.example.org")
    assert await w.tier_for("bob") == "possible"


async def test_retracting_a_source_takes_back_what_it_supported_for_everyone(
    world: World,
) -> None:
    w = world
    await prove_org_account(w)
    await w.chat("root").say(f"/orgs approve {w.org_id}")
    assert await w.tier_for("bob") == await w.tier_for("carol") == "likely"

    # bob reports it as wrong; an administrator retracts it: carol no longer sees it
    replies = await w.chat("bob").say("/match")
    [card] = [r for r in replies if "v.example.org" in getattr(r, "text", "")]
    reject = next(b.data for row in card.buttons for b in row if b.data.startswith("m:r:"))
    assert "operators" in texts(await w.chat("bob").press(reject))
    root = w.chat("root")
    listing = texts(await root.say("/reports"))
    assert "reported by 1 person" in listing and "an organisation's roster" in listing
    [report] = re.findall(r"#(\d+): X @victim_x", listing)
    said = texts(await root.say(f"/reports retract {report}"))
    assert "1 directory row deleted" in said and "approval is revoked" in said
    assert await w.tier_for("carol") == "none"
    assert "not approved" in texts(await root.say("/orgs"))


async def test_an_organisation_deleted_or_revoked_supports_nothing(world: World) -> None:
    w = world
    await prove_org_account(w)
    root = w.chat("root")
    await root.say(f"/orgs approve {w.org_id}")
    assert await w.tier_for("carol") == "likely"
    assert "no longer approved" in texts(await root.say(f"/orgs revoke {w.org_id}"))
    assert await w.tier_for("carol") == "possible"
    await root.say(f"/orgs approve {w.org_id}")
    boss = in_group(w.dispatcher, w.platform, "boss")
    await boss.say("/group delete")
    assert "deleted" in texts(await boss.press(f"org:delete:{w.org_id}:yes"))
    assert await w.tier_for("carol") == "none"


async def test_the_owners_forget_takes_their_proved_link_away(world: World) -> None:
    w = world
    await owner_proves(w)
    await prove_org_account(w)
    await w.chat("root").say(f"/orgs approve {w.org_id}")
    assert await w.tier_for("carol") == "verified"
    await w.chat("vic").say("/forget")
    assert "deleted everything" in texts(await w.chat("vic").press("forget:yes"))
    assert await w.tier_for("carol") == "likely"  # the vouch alone again
