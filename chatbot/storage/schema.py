"""The tables, as SQLAlchemy Core metadata. Migrations in `migrations/versions` create them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("platform_user_id", String(255), nullable=False),
    Column("language", String(8)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    UniqueConstraint("platform", "platform_user_id", name="uq_users_platform_user"),
)

archives = Table(
    "archives",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("era", String(32), nullable=False),
    Column("owner_account_id", String(32)),
    Column("owner_username", String(64)),
    Column("owner_display_name", Text),
    Column("owner_created_at", UTCDateTime()),
    Column("generated_at", UTCDateTime()),
    Column("counts", JSON, nullable=False),
    Column("profile", JSON, nullable=False),
    Column("first_tweet", UTCDateTime()),
    Column("last_tweet", UTCDateTime()),
    Column("tweets_per_year", JSON, nullable=False),
    Column("following", LargeBinary, nullable=False),
    Column("followers", LargeBinary, nullable=False),
    Column("blocked", LargeBinary, nullable=False),
    Column("muted", LargeBinary, nullable=False),
    Column("handles_without_id", JSON, nullable=False),
    Column("parts", JSON, nullable=False),
    Column("warnings", JSON, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

handle_hints = Table(
    "handle_hints",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("x_id", BigInteger, primary_key=True),
    Column("screen_name", String(64), primary_key=True),
    Column("seen", Integer, nullable=False),
)

chat_state = Table(
    "chat_state",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("chat_id", String(255), primary_key=True),
    Column("user_id", String(255), primary_key=True),
    Column("choices", JSON, nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)
