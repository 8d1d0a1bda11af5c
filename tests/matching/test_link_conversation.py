"""`/link`, `/findable`, `/unlink` through the real dispatcher, with in-memory networks."""

from __future__ import annotations

import re
from collections import Counter

from chatbot.archive.model import Owner, ParsedArchive, id_array
from chatbot.conversation import Dispatcher
from chatbot.matching import match_archive
from chatbot.networks.types import BlueskyProfile, MastodonAccount
from chatbot.platforms.base import RecordingPlatform, Text
from chatbot.services import Services
from chatbot.storage.directory import DirectoryStore
from chatbot.storage.links import UserLinks
from devtools.memnet import MemoryBluesky, MemoryMastodon, MemoryOembed
from tests.conversation.harness import Chat, texts
from tests.storage.aging import age_users

SIMON = 12497
CODE = re.compile(r"xb-[a-z0-9]{10}")


async def _archive(services: Services, user: str, **kw: object) -> int:
    record = await services.users.get_or_create("telegram", user)
    parsed = ParsedArchive(era="manifest", **kw)  # type: ignore[arg-type]
    await services.archives.save(record.id, parsed)
    return record.id


def _mem(services: Services) -> tuple[MemoryBluesky, MemoryMastodon, MemoryOembed]:
    assert isinstance(services.bluesky, MemoryBluesky)
    assert isinstance(services.mastodon, MemoryMastodon)
    assert isinstance(services.oembed, MemoryOembed)
    return services.bluesky, services.mastodon, services.oembed


async def test_link_prove_both_sides_then_others_see_it_verified(
    net_dispatcher: Dispatcher, net_services: Services, telegram: RecordingPlatform
) -> None:
    bluesky, _, oembed = _mem(net_services)
    bluesky.add([BlueskyProfile("did:plc:simon", "simonw.bsky.social")])
    owner = Owner(account_id=str(SIMON), username="simonw")
    user_id = await _archive(net_services, "alice", owner=owner)
    chat = Chat(net_dispatcher, telegram)
    directory = DirectoryStore(net_services.db)

    replies = await chat.say("/link bluesky @SimonW.bsky.social")
    shown = texts(replies)
    [code] = set(CODE.findall(shown))
    assert "put this code in its bio" in shown and "post this code from it" in shown
    question = replies[-1]
    assert isinstance(question, Text) and "followed you on X" in question.text
    assert [b.data for row in question.buttons for b in row] == ["findable:on", "findable:off"]
    assert await directory.entries([SIMON]) == {}  # not findable before consent
    assert "can now find you" in texts(await chat.press("findable:on"))
    [entry] = (await directory.entries([SIMON]))[SIMON]
    assert (entry.did, entry.provenance, entry.new_account_proof) == (
        "did:plc:simon", "user_link", "none"
    )  # fmt: skip

    assert f"don't see the code {code}" in texts(await chat.say("/link check"))
    bluesky.add([BlueskyProfile("did:plc:simon", "simonw.bsky.social", description=code)])
    assert "proved to be yours" in texts(await chat.say("/link check"))

    bad = oembed.publish("simonw", 1, "hello")
    assert "does not contain your code" in texts(await chat.say(f"/link x {bad}"))
    other = oembed.publish("impostor", 2, code)
    assert "not by the X account of your archive" in texts(await chat.say(f"/link x {other}"))
    assert "not the link to a post" in texts(await chat.say("/link x https://example.org/1"))
    good = oembed.publish("simonw", 3, f"moving to bluesky {code}")
    assert "once other people's archives confirm" in texts(await chat.say(f"/link x {good}"))
    [entry] = (await directory.entries([SIMON]))[SIMON]
    assert (entry.new_account_proof, entry.x_proof) == ("bio_code", "oembed")

    # two established users' archives say 12497 is @simonw: a follower now sees it verified
    observers = [
        await _archive(net_services, name, handles={SIMON: Counter({"simonw": 1})})
        for name in ("bob", "carol")
    ]
    await age_users(net_services.db, observers)
    await directory.refresh_observations([SIMON])
    follower = ParsedArchive(era="manifest", following=id_array([SIMON]))
    found = await match_archive(follower, directory, bluesky, None, decisions={})
    assert [(m.handle, m.tier) for m in found] == [("simonw.bsky.social", "verified")]

    status = texts(await chat.say("/link"))
    assert "Bluesky simonw.bsky.social: account proved ✓, X account proved ✓" in status
    assert "nobody can find you" in texts(await chat.say("/findable off"))
    assert await directory.entries([SIMON]) == {}
    assert "deleted the links" in texts(await chat.say("/unlink"))
    assert await UserLinks(net_services.db).of_user(user_id) == []


async def test_mastodon_link_in_french_and_refusals(
    net_dispatcher: Dispatcher, net_services: Services, telegram: RecordingPlatform
) -> None:
    _, mastodon, _ = _mem(net_services)
    mastodon.add(MastodonAccount("simon@fedi.example", "https://fedi.example/@simon"))
    chat = Chat(net_dispatcher, telegram, language_hint="fr")
    assert "archive X" in texts(await chat.say("/link mastodon simon@fedi.example"))
    await _archive(net_services, "alice", owner=Owner(account_id=str(SIMON), username="simonw"))
    assert "pas une adresse Mastodon" in texts(await chat.say("/link mastodon simon"))
    assert "aucun compte nobody@fedi.example" in texts(
        await chat.say("/link mastodon nobody@fedi.example")
    )
    shown = texts(await chat.say("/link mastodon @Simon@Fedi.Example"))
    assert "mettez ce code dans sa bio" in shown and "peuvent-elles vous retrouver" in shown
    assert "Liez votre nouveau compte" in texts(await chat.say("/link"))
    mastodon.down = True
    assert "Mastodon n’a pas répondu" in texts(await chat.say("/link check"))
    group = Chat(net_dispatcher, telegram, chat="group-1", private=False)
    shown = texts(await group.say("/link bluesky simonw.bsky.social"))
    assert "private chat" in shown and "xb-" not in shown


async def test_offline_linking_says_so(
    net_dispatcher: Dispatcher, net_services: Services, telegram: RecordingPlatform
) -> None:
    net_services.bluesky = None
    await _archive(net_services, "alice", owner=Owner(account_id=str(SIMON), username="simonw"))
    chat = Chat(net_dispatcher, telegram)
    assert "offline" in texts(await chat.say("/link bluesky simonw.bsky.social"))


async def test_a_forged_archive_never_yields_a_verified_impostor(
    net_dispatcher: Dispatcher, net_services: Services, telegram: RecordingPlatform
) -> None:
    bluesky, _, oembed = _mem(net_services)
    bluesky.add([BlueskyProfile("did:plc:mallory", "mallory.bsky.social")])
    # Mallory's forged archive claims Simon's X id under her own screen name
    forged = Owner(account_id=str(SIMON), username="mallory")
    await _archive(net_services, "mallory", owner=forged)
    observers = [  # established users' real archives: 12497 is @simonw, 999 is @mallory
        await _archive(
            net_services,
            name,
            handles={SIMON: Counter({"simonw": 1}), 999: Counter({"mallory": 1})},
        )
        for name in ("bob", "carol")
    ]
    await age_users(net_services.db, observers)
    directory = DirectoryStore(net_services.db)
    await directory.refresh_observations([SIMON, 999])
    chat = Chat(net_dispatcher, telegram, user="mallory")
    [code] = set(CODE.findall(texts(await chat.say("/link bluesky mallory.bsky.social"))))
    await chat.press("findable:on")
    bluesky.add([BlueskyProfile("did:plc:mallory", "mallory.bsky.social", description=code)])
    assert "proved to be yours" in texts(await chat.say("/link check"))
    post = oembed.publish("mallory", 9, code)
    assert "a different X account" in texts(await chat.say(f"/link x {post}"))
    follower = ParsedArchive(era="manifest", following=id_array([SIMON]))
    found = await match_archive(follower, directory, bluesky, None, decisions={})
    assert all(m.tier != "verified" and not m.eligible_for_auto_follow for m in found)
    # other archives tie the name the entry claims ("mallory") to another id: the claim
    # is contradicted, so the impostor is not even offered as a "claimed" possibility
    assert all(m.target != "did:plc:mallory" for m in found)
