"""New-match notices: opt in, a fake clock, sends outside any incoming message."""

from __future__ import annotations

import asyncio
import datetime as dt

from chatbot.archive.model import Owner, ParsedArchive, id_array
from chatbot.conversation import Dispatcher
from chatbot.matching.model import DirectoryEntry
from chatbot.notify import MatchNotifier
from chatbot.platforms.base import ChatRef, RecordingPlatform, Text
from chatbot.services import Services
from chatbot.storage.directory import DirectoryStore
from tests.conversation.harness import Chat, texts

FRIEND, OTHER = 700, 701


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


async def test_opt_in_then_weekly_notice_of_new_arrivals(
    net_dispatcher: Dispatcher, net_services: Services, telegram: RecordingPlatform
) -> None:
    chat = Chat(net_dispatcher, telegram, user="alice")
    assert "Notices are off" in texts(await chat.say("/notify"))
    assert "at most every 7 days" in texts(await chat.press("notify:on"))
    user = await net_services.users.get_or_create("telegram", "alice")
    assert (user.notify_matches, user.private_chat_id) == (True, "dm-alice")
    await net_services.archives.save(
        user.id,
        ParsedArchive(era="manifest", owner=Owner("1", "alice"), following=id_array([FRIEND])),
    )
    # the opt-in time is in the past of the clock used below
    clock = Clock()
    clock.advance(days=1)
    notifier = MatchNotifier(net_services, {"telegram": telegram}, clock=clock)
    assert await notifier.run_once() == 0  # not a week since opting in
    await DirectoryStore(net_services.db).save(
        DirectoryEntry(FRIEND, "friend", "bluesky", "friend.bsky.social", did="did:plc:f")
    )
    await DirectoryStore(net_services.db).save(
        DirectoryEntry(OTHER, "other", "bluesky", "other.bsky.social", did="did:plc:o")
    )
    clock.advance(days=7)
    assert await notifier.run_once() == 1
    chat_ref, notice = telegram.sent[-1]
    assert chat_ref == ChatRef("telegram", "dm-alice", is_private=True)
    assert isinstance(notice, Text)
    assert "arrived recently" in notice.text and "friend.bsky.social" in notice.text
    assert "Claimed" in notice.text and "other.bsky.social" not in notice.text
    clock.advance(days=3)
    assert await notifier.run_once() == 0  # at most weekly
    clock.advance(days=5)
    assert await notifier.run_once() == 0  # nothing new since the last notice
    assert "no more notices" in texts(await chat.say("/notify off"))


async def test_notice_in_the_users_language_and_never_to_others(
    net_dispatcher: Dispatcher, net_services: Services, telegram: RecordingPlatform
) -> None:
    bea = Chat(net_dispatcher, telegram, user="bea")
    await bea.say("/lang fr")
    assert "au plus tous les 7 jours" in texts(await bea.say("/notify on"))
    quiet = Chat(net_dispatcher, telegram, user="quiet")
    await quiet.say("/help")  # known private chat, but no opt-in
    for name in ("bea", "quiet"):
        record = await net_services.users.get_or_create("telegram", name)
        parsed = ParsedArchive(era="manifest", following=id_array([FRIEND]))
        await net_services.archives.save(record.id, parsed)
    await DirectoryStore(net_services.db).save(
        DirectoryEntry(FRIEND, "friend", "mastodon", "f@ex.social", acct="f@ex.social")
    )
    clock = Clock()
    clock.advance(days=8)
    before = len(telegram.sent)
    await MatchNotifier(net_services, {"telegram": telegram}, clock=clock).run_once()
    [(chat_ref, notice)] = telegram.sent[before:]
    assert chat_ref.chat_id == "dm-bea"
    assert isinstance(notice, Text) and "arrivés récemment" in notice.text
    assert "f@ex.social" in notice.text


async def test_chatbot_run_starts_one_notifier_task_and_cancels_it(
    net_services: Services, telegram: RecordingPlatform
) -> None:
    from chatbot.app import start_notifier

    class FakeAdapter:
        platform = telegram

        async def start(self) -> None: ...

        async def stop(self) -> None: ...

    task = start_notifier(net_services, [FakeAdapter()])
    await asyncio.sleep(0.05)  # the first pass runs at once, then it sleeps
    assert not task.done()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
