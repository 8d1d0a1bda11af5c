"""Typed configuration from environment variables and an optional `.env` file.

Every setting is validated at start-up; a bad value stops the bot with a message that
says which variable is wrong and how to fix it (see `ConfigError`).
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Language = Literal["en", "fr"]
SUPPORTED_LANGUAGES: tuple[Language, ...] = ("en", "fr")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_DOMAIN = re.compile(r"([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z]([a-z0-9-]{0,61}[a-z0-9])?")


def default_data_dir() -> Path:
    """The per-user data directory (XDG on Linux), used when CHATBOT_DATA_DIR is unset."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "x-migration-chatbot"


def default_key_file() -> Path:
    """Where the generated secret key lives when none is configured: the per-user config
    directory (XDG), never the data directory (a copy of that alone must decrypt nothing)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "x-migration-chatbot" / "secret.key"


class ConfigError(Exception):
    """The configuration is invalid; the message tells the operator how to fix it."""


class ArchiveLimits(BaseSettings):
    """Limits that protect the bot from huge or hostile archives."""

    model_config = SettingsConfigDict(env_prefix="CHATBOT_ARCHIVE_", extra="ignore")

    max_upload_bytes: int = Field(4 * 1024**3, gt=0, description="largest file accepted")
    max_total_uncompressed_bytes: int = Field(
        64 * 1024**3, gt=0, description="sum of uncompressed sizes of the members we read"
    )
    max_member_uncompressed_bytes: int = Field(
        2 * 1024**3, gt=0, description="largest single data file we read"
    )
    max_compression_ratio: float = Field(
        200.0, gt=1, description="uncompressed / compressed size beyond which a member is a bomb"
    )
    max_entries: int = Field(
        100_000, gt=0, description="zip entries (real archives: ~6,400 plus one per media file)"
    )
    max_nesting: int = Field(1, ge=0, description="zips inside the zip that we open")
    max_json_file_bytes: int = Field(
        8 * 1024**2, gt=0, description="largest small file parsed whole (manifest, account)"
    )
    max_record_bytes: int = Field(
        8 * 1024**2, gt=0, description="largest run of a data file without a record boundary"
    )
    ratio_check_min_bytes: int = Field(
        1024**2, ge=0, description="members smaller than this skip the compression-ratio check"
    )
    # Caps on what one archive may make the bot hold (threat model §4.4, §7): the largest
    # accounts that left X (The Guardian 10.7M followers, NPR 8.8M, Paris 2.2M) fit twice
    # over in 20M follower ids (160 MB packed); X lets an account follow 5,000 accounts
    # plus a share of its followers, so the longest following lists are about 1-2M.
    # Reading a list stops at its cap; the user is told.
    max_follower_ids: int = Field(20_000_000, gt=0, description="ids read from follower*.js")
    max_following_ids: int = Field(5_000_000, gt=0, description="ids read from following*.js")
    max_blocked_ids: int = Field(1_000_000, gt=0, description="ids read per block or mute list")
    max_handle_ids: int = Field(
        100_000, gt=0, description="accounts whose screen name is recovered from the posts"
    )


class Settings(BaseSettings):
    """All settings of the bot. Environment variables win over the `.env` file."""

    model_config = SettingsConfigDict(
        env_prefix="CHATBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = Field(
        None, validation_alias=AliasChoices("DATABASE_URL", "CHATBOT_DATABASE_URL")
    )
    default_language: Language = "en"
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one object per line (issue 7)
    # the ops endpoints (/healthz, /readyz, /metrics); disabled when the port is unset
    ops_port: int | None = Field(None, ge=0, le=65535)
    ops_host: str = "127.0.0.1"
    # scale-out mode (issue 7): with DATABASE_URL on PostgreSQL, jobs go through a Redis
    # queue to `chatbot worker` processes; readiness pings it too
    redis_url: str | None = None
    worker_concurrency: int = Field(20, ge=1, le=1000)  # jobs one worker runs at a time
    # a queued task whose worker sent no heartbeat for this long is retried elsewhere (the
    # time to recover from a dead worker; shorter means more Redis writes per running task)
    queue_heartbeat_s: int = Field(30, ge=3, le=3600)
    parse_workers: int = Field(2, ge=1, le=32)
    # files (archives, CSVs) each user may send per window; more are refused with a notice
    upload_limit: int = Field(5, ge=1, le=1000)
    upload_window_s: float = Field(300.0, gt=0)
    # disk all uploads being read may use together (a file whose size is not known counts
    # as the largest accepted); beyond it new files are politely refused (threat model §4.7)
    uploads_max_bytes: int = Field(16 * 1024**3, gt=0)
    # an upload no live process owns, untouched this long, is removed by the sweep (§4.8)
    uploads_orphan_after_s: float = Field(3600.0, gt=0)

    telegram_token: str | None = None
    telegram_api_url: str | None = None
    telegram_local_mode: bool = False
    telegram_bot_username: str | None = None
    # webhook mode (issue 7): Telegram posts updates to this public HTTPS URL (a reverse
    # proxy forwards them to listen:port); polling when unset. The secret_token is
    # generated into <data_dir>/telegram-webhook.secret when unset.
    telegram_webhook_url: str | None = None
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = Field(8443, ge=1, le=65535)
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_delete_on_stop: bool = False  # restarts must not lose updates

    matrix_homeserver: str | None = None
    matrix_user: str | None = None
    matrix_password: str | None = None
    matrix_token: str | None = None
    matrix_device_id: str | None = None
    matrix_store_path: Path | None = None
    matrix_encryption: bool = True

    # matching (issue 4): network readers, bot admins, new-match notices
    bluesky_appview_url: str = "https://public.api.bsky.app"
    mastodon_lookup_instance: str | None = None
    # Threads accounts with fediverse sharing (issue 15): WebFinger on this host for the
    # contacts' names, e.g. https://www.threads.net. Off by default: each lookup tells Meta
    # a name the user follows (directory rows and bio links still give Threads matches)
    threads_url: str | None = None
    x_oembed_url: str = "https://publish.twitter.com/oembed"
    matching_offline: bool = False  # no network use: the directory only
    admins: Annotated[list[str], NoDecode] = Field(default_factory=list)  # "platform:user_id"
    match_notify_interval_days: int = Field(7, ge=1, le=365)
    # requests matching may send to each remote service (AppView, Mastodon/WebFinger) per
    # archive and per user per day, and its pace per user (issue 11, threat-model 4.6)
    lookups_per_archive: int = Field(1000, ge=1, le=1_000_000)
    lookups_per_day: int = Field(5000, ge=1, le=10_000_000)
    lookups_per_second: float = Field(10.0, gt=0, le=10_000)

    # organisations (issue 6): days a group's shared data outlives the bot's removal
    org_retention_days: int = Field(30, ge=0, le=3650)
    # hours a join link (/join) works; /group newlink replaces it at once (issue 11)
    join_link_hours: int = Field(168, ge=1, le=24 * 365)

    # follow jobs (issue 5 §3): share of Bluesky's 5,000 points/h and 35,000/day to use,
    # applyWrites batch size, and pacing over the hour (off only for local test networks)
    bluesky_budget_headroom: float = Field(0.8, gt=0, le=1)
    follow_batch_size: int = Field(200, ge=1, le=200)
    follow_pace: bool = True

    # connected accounts (issue 5): the key that encrypts sessions and tokens at rest
    # (url-safe base64 Fernet key), or the file holding it; when neither is set it is
    # generated into default_key_file(), outside the data dir (chatbot/secret_key.py)
    secret_key: SecretStr | None = None
    secret_key_file: Path | None = None
    # production: refuse to start without an explicit key, or with one inside the data
    # dir or readable by others (development only warns)
    production: bool = False
    bluesky_resolver_url: str | None = None  # com.atproto.identity.resolveHandle host
    bluesky_plc_url: str = "https://plc.directory"  # DID documents of did:plc
    # /connect bluesky (issue 15): where an e-mail address logs in (the PDS is unknown
    # until the session names its DID), and the suffix a bare name gets (name -> name.SUFFIX)
    bluesky_entryway_url: str = "https://bsky.social"
    bluesky_default_handle_suffix: str = "bsky.social"
    # addresses or CIDR ranges outbound requests may reach although they are not public
    # (issue 11): plain http goes only there. Empty in production; tests list 127.0.0.1
    egress_allow: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # the bot's web endpoint (issue 16): Bluesky OAuth client metadata, keys and callback
    # (and the Telegram webhook when both run), behind a reverse proxy at public_url
    public_url: str | None = None  # public HTTPS base URL; enables OAuth for /connect bluesky
    web_host: str = "127.0.0.1"
    web_port: int = Field(8080, ge=1, le=65535)
    oauth_link_ttl_s: int = Field(600, ge=60, le=3600)  # an approval link works this long

    @field_validator("admins", mode="before")
    @classmethod
    def _admin_list(cls, value: object) -> object:
        """CHATBOT_ADMINS=telegram:123,matrix:@me:example.org (comma-separated)."""
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("egress_allow", mode="before")
    @classmethod
    def _egress_networks(cls, value: object) -> object:
        """CHATBOT_EGRESS_ALLOW=127.0.0.1,::1,10.0.0.0/8: each an address or a CIDR range."""
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            return value
        out = []
        for item in (str(i).strip() for i in items):
            if item:
                try:
                    out.append(str(ipaddress.ip_network(item.strip("[]"), strict=False)))
                except ValueError:
                    raise ValueError(
                        f"{item!r} is neither an IP address nor a CIDR range (e.g. 127.0.0.1, "
                        "::1, 10.0.0.0/8)"
                    ) from None
        return out

    @field_validator("bluesky_default_handle_suffix")
    @classmethod
    def _handle_suffix(cls, value: str) -> str:
        suffix = value.strip().lower().strip(".")
        if not _DOMAIN.fullmatch(suffix):
            raise ValueError("a domain name such as bsky.social (no scheme, no leading dot)")
        return suffix

    @field_validator("telegram_token")
    @classmethod
    def _token_shape(cls, value: str | None) -> str | None:
        if value and ":" not in value:
            raise ValueError(
                "a Telegram bot token looks like 123456:ABC-DEF...; ask @BotFather for one"
            )
        return value or None

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _secret_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError(
                "Telegram accepts 1 to 256 characters A-Z, a-z, 0-9, _ and -; or unset it to "
                "have one generated"
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith("https://") or "?" in value or "#" in value:
            raise ValueError(
                "the public base URL of the bot's web endpoint, https:// only, without query "
                "(for example https://bot.example.org); the reverse proxy forwards it to "
                "CHATBOT_WEB_HOST:CHATBOT_WEB_PORT"
            )
        return value.rstrip("/")

    @field_validator("telegram_api_url", "matrix_homeserver", "telegram_webhook_url",
                     "bluesky_entryway_url")  # fmt: skip
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else None

    @property
    def sqlalchemy_url(self) -> str:
        """The async SQLAlchemy URL: DATABASE_URL, or SQLite in the data directory."""
        url = self.database_url
        if not url:
            return f"sqlite+aiosqlite:///{self.data_dir / 'chatbot.sqlite3'}"
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix) :]
        if url.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
        return url

    @property
    def scaled(self) -> bool:
        """Scale-out mode: a Redis queue and workers (needs PostgreSQL, shared by all)."""
        return bool(self.redis_url)

    @property
    def on_postgresql(self) -> bool:
        return self.sqlalchemy_url.startswith("postgresql")

    @property
    def uploads_dir(self) -> Path:
        """Where raw uploads live for the seconds it takes to parse them."""
        return self.data_dir / "uploads"

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_token)

    @property
    def matrix_enabled(self) -> bool:
        return bool(self.matrix_homeserver)

    def check_platforms(self) -> None:
        """Raise `ConfigError` when a platform is half configured."""
        if self.matrix_homeserver:
            if not self.matrix_user:
                raise ConfigError(
                    "CHATBOT_MATRIX_HOMESERVER is set but CHATBOT_MATRIX_USER is not: set it to "
                    "the bot's Matrix id, for example @migrationbot:example.org"
                )
            if not (self.matrix_password or self.matrix_token):
                raise ConfigError(
                    "Matrix needs a credential: set CHATBOT_MATRIX_PASSWORD or "
                    "CHATBOT_MATRIX_TOKEN (an access token of the bot's account)"
                )
        elif self.matrix_user or self.matrix_password or self.matrix_token:
            raise ConfigError(
                "Matrix settings are present but CHATBOT_MATRIX_HOMESERVER is not: set it to "
                "the homeserver's URL, for example https://matrix.example.org"
            )
        if self.telegram_local_mode and not self.telegram_api_url:
            raise ConfigError(
                "CHATBOT_TELEGRAM_LOCAL_MODE needs CHATBOT_TELEGRAM_API_URL, the root of your "
                "self-hosted Bot API server (for example http://127.0.0.1:8081)"
            )


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings, turning pydantic's errors into one clear `ConfigError`."""
    lines: list[str] = []
    settings: Settings | None = None
    for model, prefix in ((Settings, "CHATBOT_"), (ArchiveLimits, "CHATBOT_ARCHIVE_")):
        try:
            built = model(**overrides) if model is Settings else model()  # type: ignore[arg-type]
        except ValidationError as exc:
            for err in exc.errors():
                field = "_".join(str(part) for part in err["loc"]).upper()
                name = field if field == "DATABASE_URL" else prefix + field
                lines.append(f"{name}: {err['msg']}")
            continue
        if isinstance(built, Settings):
            settings = built
    if lines or settings is None:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines))
    settings.check_platforms()
    return settings
