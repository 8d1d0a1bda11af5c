"""Another user's buttons, replayed callback data and numbered replies act on nobody else.

Alice uses the bot; Bob then presses every button Alice was shown, and forged data for
every registered callback prefix, in his private chat and in a group they share. Every
row Alice had in the database must still be there, unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from chatbot.conversation import Dispatcher
from chatbot.platforms.base import PlatformLimits, RecordingPlatform, Reply, Text
from chatbot.services import Services
from handlers import build_registry
from tests.conversation.harness import SAMPLES, Chat, make_zip, texts

DOGSHEEP = SAMPLES / "dogsheep-twitter-to-sqlite-2019"
# tails of every data format the handlers parse (match decisions and pages, profile, posts,
# organisation roster and deletion), with small ids that exist in this test's database
FORGED = ["yes", "no", "on", "off", "en", "fr", "go", "ok:bluesky", "ok:mastodon", "p:1",
          "c:1:b:x", "r:1:m:x", "roster:1:yes", "roster:1:no", "delete:1:yes"]  # fmt: skip


async def _snapshot(services: Services) -> dict[str, set[tuple[Any, ...]]]:
    """Every row of every table (compared as sets: Bob may add rows, not change Alice's)."""
    rows: dict[str, set[tuple[Any, ...]]] = {}
    async with services.db.engine.connect() as conn:
        names = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
        for name in names:
            result = await conn.execute(sa.text(f'SELECT * FROM "{name}"'))
            rows[name] = {tuple(map(repr, row)) for row in result}
    return rows


def _buttons(replies: list[Reply]) -> list[str]:
    return [b.data for r in replies if isinstance(r, Text) for row in r.buttons for b in row]


async def test_bob_cannot_act_on_alices_account(
    services: Services, platform: RecordingPlatform, tmp_path: Path
) -> None:
    dispatcher = Dispatcher(services, build_registry())
    dispatcher.throttle.limit = 10_000  # this test is about who acts, not how often
    archive = make_zip(
        tmp_path / "twitter-2019.zip",
        {name: DOGSHEEP / name for name in ("account.js", "follower.js", "following.js")},
    )
    alice = Chat(dispatcher, platform, user="alice")
    shown = _buttons(await alice.upload(archive))
    for command in ("/match", "/findable", "/notify", "/profile", "/import posts", "/lang",
                    "/forget", "/findable on", "/notify on"):  # fmt: skip
        shown += _buttons(await alice.say(command))
    assert any(data.startswith("forget") for data in shown), shown
    platform.chat_admins.add("alice")  # Alice administers a group with an organisation
    group_alice = Chat(dispatcher, platform, user="alice", chat="group-1", private=False)
    assert "Alice Org" in texts(await group_alice.say("/group setup Alice Org"))
    shown += _buttons(await group_alice.say("/group delete"))  # her buttons, in the group
    shown += _buttons(await group_alice.say("/lang"))
    before = await _snapshot(services)

    forged = [f"{prefix}:{tail}" for prefix in _prefixes() for tail in FORGED]
    bob = Chat(dispatcher, platform, user="bob")
    group_bob = Chat(dispatcher, platform, user="bob", chat="group-1", private=False)
    for data in [*shown, *forged]:
        await bob.press(data)
        await group_bob.press(data)
    await services.jobs.idle()

    after = await _snapshot(services)
    for table, rows in before.items():
        assert rows <= after[table], f"{table}: Bob changed Alice's rows"
    assert "Alice" not in texts(bob.new_replies())
    await alice.press("forget:yes")  # the same data from Alice herself does act
    forgotten = await _snapshot(services)
    assert not all(rows <= forgotten[table] for table, rows in before.items())


async def test_numbered_choices_are_per_user(services: Services) -> None:
    matrix = RecordingPlatform(
        name="matrix",
        limits=PlatformLimits(max_download_bytes=None, max_upload_bytes=None, buttons=False),
    )
    dispatcher = Dispatcher(services, build_registry())
    alice = Chat(dispatcher, matrix, user="alice", chat="room-1")
    bob = Chat(dispatcher, matrix, user="bob", chat="room-1")  # the same room id
    assert "2. Français" in texts(await alice.say("/lang"))
    assert "français" not in texts(await bob.say("2"))  # Bob was offered no choice
    assert "What I can do" in texts(await alice.say("/help"))  # Alice is still in English
    assert "français" in texts(await alice.say("2"))  # her own choice still works


def _prefixes() -> list[str]:
    registry = build_registry()
    return sorted(registry.callback_prefixes())
