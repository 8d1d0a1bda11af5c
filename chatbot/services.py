"""The long-lived objects handlers use: settings, database stores, the parser pool, readers."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from chatbot.archive.spool import UploadSpool
from chatbot.config import Settings
from chatbot.conversation.pending import PendingSteps
from chatbot.jobs import BackgroundJobs
from chatbot.networks.egress import Egress
from chatbot.networks.threads_names import ThreadsReader
from chatbot.networks.types import BlueskyReader, MastodonReader, NetworkUnavailable, XOembed
from chatbot.parsing import ParserPool
from chatbot.private_files import private_dir, tighten
from chatbot.secrets import SecretBox
from chatbot.storage.accounts import AccountStore
from chatbot.storage.archives import ArchiveStore
from chatbot.storage.chat_state import ChatStateStore
from chatbot.storage.db import Database
from chatbot.storage.users import UserStore

if TYPE_CHECKING:
    from chatbot.matching.model import Match

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: Database
    users: UserStore
    archives: ArchiveStore
    chat_state: ChatStateStore
    parser: ParserPool
    secrets: SecretBox  # encrypts sessions and tokens at rest (issue 5)
    accounts: AccountStore  # connected Bluesky / Mastodon accounts
    # network readers (issue 4); None when offline or not available: matching then uses
    # the directory only (never unchecked guesses). Tests inject in-memory ones.
    bluesky: BlueskyReader | None = None
    mastodon: MastodonReader | None = None
    threads: ThreadsReader | None = None  # Threads accounts that opted in to the fediverse
    oembed: XOembed | None = None
    # the egress policy every outbound request for users goes through (issue 11)
    egress: Egress = field(default_factory=Egress)
    jobs: BackgroundJobs = field(default_factory=BackgroundJobs)
    # what each user's next message is expected to be (/connect steps, an admin's CSV)
    pending: PendingSteps = field(default_factory=PendingSteps)
    # the matches shown by /match, per user id: (when computed, matches)
    match_cache: dict[int, tuple[float, list[Match]]] = field(default_factory=dict)
    # the follow-job runner (issue 5 §3; chatbot.migration.jobs.JobRunner), made on first use
    follow_jobs: Any = None
    # scale-out mode (issue 7): the task queue (chatbot.queue.client.TaskQueue), and
    # whether this process is a worker (then it handles what front ends hand over)
    queue: Any = None
    in_worker: bool = False
    # raw uploads while they are read: their disk cap and the sweep of crash leftovers
    uploads: UploadSpool = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.uploads = UploadSpool(s.uploads_dir, s.uploads_max_bytes, s.uploads_orphan_after_s)

    @classmethod
    async def start(cls, settings: Settings, *, processes: bool = True) -> Services:
        """Create the data directory, migrate the database, start the parser pool."""
        private_dir(settings.data_dir)  # 0700, and the bot's files in it 0600 (issue 11)
        private_dir(settings.uploads_dir)
        tighten(settings.data_dir, [p for p in (settings.matrix_store_path,) if p])
        box = SecretBox.from_settings(settings)
        db = Database(settings.sqlalchemy_url)
        await db.migrate()
        services = cls(
            settings=settings,
            db=db,
            users=UserStore(db),
            archives=ArchiveStore(db),
            chat_state=ChatStateStore(db),
            parser=ParserPool(settings.parse_workers, processes=processes),
            secrets=box,
            accounts=AccountStore(db, box),
            egress=Egress.from_settings(settings),
        )
        await services.uploads.start(alone=not settings.scaled)
        if settings.scaled:
            if not settings.on_postgresql:
                raise SystemExit("CHATBOT_REDIS_URL (scale-out) needs DATABASE_URL on PostgreSQL")
            await _scale_out(services)
        if not settings.matching_offline:  # built when first used (their HTTP client is heavy)
            egress = services.egress
            services.bluesky = cast(BlueskyReader | None, _lazy_reader(
                "bluesky", "chatbot.networks.bluesky", "PublicAppView",
                settings.bluesky_appview_url, egress,
            ))  # fmt: skip
            services.mastodon = cast(MastodonReader | None, _lazy_reader(
                "mastodon", "chatbot.networks.mastodon", "MastodonLookup",
                settings.mastodon_lookup_instance, egress,
            ))  # fmt: skip
            if settings.threads_url:
                services.threads = cast(ThreadsReader | None, _lazy_reader(
                    "threads", "chatbot.networks.threads", "ThreadsLookup",
                    settings.threads_url, egress,
                ))  # fmt: skip
            services.oembed = cast(XOembed | None, _lazy_reader(
                "x", "chatbot.networks.oembed", "XOembedClient", settings.x_oembed_url, egress
            ))  # fmt: skip
        return services

    async def close(self) -> None:
        await self.uploads.close()
        await self.jobs.close()
        if self.follow_jobs is not None:
            await self.follow_jobs.close()
        if self.queue is not None:
            await self.queue.close()
        for reader in (self.bluesky, self.mastodon, self.threads, self.oembed):
            await _close(reader)
        self.parser.close()
        await self.db.close()


async def _scale_out(services: Services) -> None:
    """Shared pending steps in Redis and the task queue (several processes)."""
    from redis.asyncio import Redis

    from chatbot.conversation.pending import RedisStore
    from chatbot.queue.client import TaskQueue

    settings = services.settings
    services.queue = TaskQueue.from_url(
        str(settings.redis_url), heartbeat_s=settings.queue_heartbeat_s
    )
    await services.queue.connect()
    redis: Redis = services.queue.queue.redis
    services.pending = PendingSteps(store=RedisStore(redis, services.secrets))


class LazyReader:
    """A network reader built on its first use: a bot that never matches online (or not
    yet) does not load httpx and its HTTP/2 stack (~8 MB, ~0.1 s at start)."""

    def __init__(self, network: str, module: str, name: str, url: str | None, egress: Egress):
        self._network, self._where, self._url, self._egress = network, (module, name), url, egress
        self._reader: Any = None

    def resolve(self) -> Any:
        """The reader itself, built now if it was not yet."""
        if self._reader is None:
            self._reader = _reader(*self._where, self._url, self._egress)
            if self._reader is None:
                raise NetworkUnavailable(self._network, "client unavailable")
        return self._reader

    @property
    def built(self) -> bool:
        return self._reader is not None

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.resolve(), attribute)

    async def aclose(self) -> None:
        if self._reader is not None:
            await _close(self._reader)


def _lazy_reader(
    network: str, module: str, name: str, url: str | None, egress: Egress
) -> LazyReader | None:
    """A `LazyReader`, or None (logged) when its module is not installed at all."""
    if importlib.util.find_spec(module) is None:
        log.warning("%s unavailable, matching without it", module)
        return None
    return LazyReader(network, module, name, url, egress)


def _reader(module: str, name: str, url: str | None, egress: Egress) -> Any:
    """Build a network reader, imported lazily; None (logged) when it is not available."""
    try:
        cls = getattr(importlib.import_module(module), name)
        return cls(url, egress=egress) if url is not None else cls(egress=egress)
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        log.warning("%s.%s unavailable, matching without it: %s", module, name, exc)
        return None


async def _close(reader: object) -> None:
    closer = getattr(reader, "aclose", None) or getattr(reader, "close", None)
    if closer is None:
        return
    try:
        result = closer()
        if inspect.isawaitable(result):
            await result
    except Exception:
        log.warning("could not close %s", type(reader).__name__, exc_info=True)
