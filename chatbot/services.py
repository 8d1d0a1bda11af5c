"""The long-lived objects handlers use: settings, database stores, the parser pool."""

from __future__ import annotations

from dataclasses import dataclass

from chatbot.config import Settings
from chatbot.parsing import ParserPool
from chatbot.storage.archives import ArchiveStore
from chatbot.storage.chat_state import ChatStateStore
from chatbot.storage.db import Database
from chatbot.storage.users import UserStore


@dataclass
class Services:
    settings: Settings
    db: Database
    users: UserStore
    archives: ArchiveStore
    chat_state: ChatStateStore
    parser: ParserPool

    @classmethod
    async def start(cls, settings: Settings, *, processes: bool = True) -> Services:
        """Create the data directory, migrate the database, start the parser pool."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings.uploads_dir.mkdir(parents=True, exist_ok=True)
        settings.uploads_dir.chmod(0o700)
        db = Database(settings.sqlalchemy_url)
        await db.migrate()
        return cls(
            settings=settings,
            db=db,
            users=UserStore(db),
            archives=ArchiveStore(db),
            chat_state=ChatStateStore(db),
            parser=ParserPool(settings.parse_workers, processes=processes),
        )

    async def close(self) -> None:
        self.parser.close()
        await self.db.close()
