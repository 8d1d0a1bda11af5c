"""Services over the real SQLite and PostgreSQL databases, a group with admins, members."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import insert

from chatbot.archive.model import Owner, ParsedArchive, id_array
from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.parsing import ParserPool
from chatbot.platforms.base import (
    ChatRef,
    Document,
    RecordingPlatform,
    Reply,
    SentMessage,
    UserRef,
)
from chatbot.secrets import SecretBox
from chatbot.services import Services
from chatbot.storage.accounts import AccountStore
from chatbot.storage.archives import ArchiveStore
from chatbot.storage.chat_state import ChatStateStore
from chatbot.storage.db import Database
from chatbot.storage.schema import follow_log, jobs
from chatbot.storage.users import UserStore
from handlers import build_registry
from tests.conversation.harness import Chat

GROUP = "group-42"


@dataclass
class GroupPlatform(RecordingPlatform):
    """Telegram-like: deep links to the private chat; documents' bytes kept as sent."""

    files: dict[str, bytes] = field(default_factory=dict)
    opens_private: bool = False  # Matrix-like: the bot opens private rooms itself

    async def send(self, chat: ChatRef, reply: Reply) -> SentMessage:
        if isinstance(reply, Document):
            self.files[reply.name] = reply.path.read_bytes()
        return await super().send(chat, reply)

    def private_chat_link(self, user: UserRef, payload: str = "") -> str | None:
        return None if self.opens_private else f"https://t.me/testbot?start={payload}"

    async def open_private_chat(self, user: UserRef) -> ChatRef | None:
        if not self.opens_private:
            return None
        return ChatRef(self.name, f"dm-{user.user_id}", is_private=True)

    def texts_in(self, chat_id: str) -> list[str]:
        return [
            getattr(r, "text", "") or getattr(r, "caption", "") or ""
            for c, r in self.sent
            if c.chat_id == chat_id
        ]


@pytest.fixture
async def services(settings: Settings, database: Database) -> AsyncIterator[Services]:
    box = SecretBox.from_settings(settings)
    services = Services(
        settings=settings,
        db=database,
        users=UserStore(database),
        archives=ArchiveStore(database),
        chat_state=ChatStateStore(database),
        parser=ParserPool(1, processes=False),
        secrets=box,
        accounts=AccountStore(database, box),
    )
    settings.uploads_dir.mkdir(parents=True, exist_ok=True)
    yield services
    await services.jobs.close()
    services.parser.close()


@pytest.fixture
def platform() -> GroupPlatform:
    return GroupPlatform(name="telegram", chat_admins={"boss"})


@pytest.fixture
def dispatcher(services: Services) -> Dispatcher:
    return Dispatcher(services, build_registry())


def in_group(dispatcher: Dispatcher, platform: RecordingPlatform, user: str) -> Chat:
    return Chat(dispatcher, platform, user=user, chat=GROUP, private=False)


def private(dispatcher: Dispatcher, platform: RecordingPlatform, user: str) -> Chat:
    return Chat(dispatcher, platform, user=user)


async def user_id(services: Services, name: str) -> int:
    return (await services.users.get_or_create("telegram", name)).id


async def give_archive(
    services: Services, name: str, x_id: str, username: str, followers: list[int] | None = None
) -> None:
    parsed = ParsedArchive(
        era="manifest",
        owner=Owner(x_id, username, f"{username} display"),
        followers=id_array(followers or []),
    )
    await services.archives.save(await user_id(services, name), parsed)


async def give_follows(services: Services, name: str, statuses: list[str]) -> None:
    uid = await user_id(services, name)
    now = dt.datetime.now(dt.UTC)
    async with services.db.begin() as conn:
        job = await conn.execute(
            insert(jobs).values(
                user_id=uid,
                kind="follow_bluesky",
                state="done",
                params={},
                total=len(statuses),
                done=0,
                skipped=0,
                failed=0,
                checkpoint={},
                created_at=now,
                updated_at=now,
            )
        )
        job_id = job.inserted_primary_key[0]  # type: ignore[index]
        for number, status in enumerate(statuses):
            await conn.execute(
                insert(follow_log).values(
                    job_id=job_id,
                    user_id=uid,
                    network="bluesky",
                    target=f"did:plc:t{number}",
                    status=status,
                    created_at=now,
                )
            )
