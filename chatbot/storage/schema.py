"""The tables, as SQLAlchemy Core metadata. Migrations in `migrations/versions` create them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
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
    Column("private_chat_id", String(255)),  # their private chat, to write to them later
    Column("link_code", String(32)),  # the code that proves their linked accounts
    Column("notify_matches", Boolean, nullable=False, server_default=false()),
    Column("notified_at", UTCDateTime()),  # the last new-matches notice
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
    Column("previous_usernames", JSON, nullable=False),
    Column("tweet_years_by_part", JSON, nullable=False),
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

# --- matching: the X-id directory, aggregated archive observations, match decisions ---

directory_entries = Table(
    "directory_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("x_id", BigInteger, nullable=False),
    Column("x_username", String(64)),
    Column("network", String(16), nullable=False),  # bluesky | mastodon
    Column("target", String(255), nullable=False),  # the DID, the acct, or the handle
    Column("handle", String(255)),
    Column("did", String(255)),
    Column("acct", String(255)),
    Column("provenance", String(16), nullable=False),  # user_link | org_roster | csv_import
    Column("provenance_detail", String(255)),  # organisation id, import name
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE")),  # who linked it
    Column("new_account_proof", String(16), nullable=False),  # none | login | bio_code
    Column("x_proof", String(16), nullable=False),  # none | oembed | org_vouch
    Column("findable", Boolean, nullable=False),
    Column("withdrawn_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("x_id", "network", "target", "provenance", name="uq_directory_entries_link"),
    Index("ix_directory_entries_x_id", "x_id"),
    Index("ix_directory_entries_user_id", "user_id"),
)

# How many distinct users' archives associate an X id with a screen name (lower-cased).
# Aggregate counts only: rebuilt from handle_hints, it never names a user.
x_name_observations = Table(
    "x_name_observations",
    metadata,
    Column("x_id", BigInteger, primary_key=True),
    Column("screen_name", String(64), primary_key=True),
    Column("users", Integer, nullable=False),
    Index("ix_x_name_observations_screen_name", "screen_name"),
)

match_decisions = Table(
    "match_decisions",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("x_id", BigInteger, primary_key=True),
    Column("network", String(16), primary_key=True),
    Column("target", String(255), primary_key=True),
    Column("decision", String(16), nullable=False),  # confirmed | rejected
    Column("decided_at", UTCDateTime(), nullable=False),
)

# --- migration jobs (issue 5 §3): background work whose state and checkpoints live here ---

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(32), nullable=False),  # follow_bluesky | follow_mastodon
    Column("state", String(16), nullable=False),  # queued|running|paused|done|failed|cancelled
    Column("params", JSON, nullable=False),
    Column("total", Integer, nullable=False),
    Column("done", Integer, nullable=False),  # followed or requested
    Column("skipped", Integer, nullable=False),  # already followed, not found
    Column("failed", Integer, nullable=False),
    Column("checkpoint", JSON, nullable=False),
    Column("next_run_at", UTCDateTime()),
    Column("last_error", String(64)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_jobs_user_id", "user_id"),
    Index("ix_jobs_state", "state"),
)

# Every account a job handled, once per (user, network, target): a follow is never repeated.
follow_log = Table(
    "follow_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", Integer, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("network", String(16), nullable=False),
    Column("target", String(255), nullable=False),  # DID or acct
    Column("status", String(16), nullable=False),  # followed|already|requested|skipped|failed
    Column("uri", Text),  # the follow record's at:// URI, or the account followed instead
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("user_id", "network", "target", name="uq_follow_log_target"),
    Index("ix_follow_log_job_id", "job_id"),
)

# --- connected accounts (issue 5): sessions and tokens, always encrypted (SecretBox) ---

connected_accounts = Table(
    "connected_accounts",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("network", String(16), primary_key=True),  # bluesky | mastodon
    Column("handle", String(255), nullable=False),  # the Bluesky handle or Mastodon acct
    Column("did", String(255)),  # Bluesky only
    Column("service_url", String(512), nullable=False),  # the PDS or the instance
    Column("secret", LargeBinary, nullable=False),  # encrypted session string / token
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

mastodon_apps = Table(
    "mastodon_apps",
    metadata,
    Column("instance_url", String(512), primary_key=True),
    Column("client_id", String(255), nullable=False),
    Column("client_secret", LargeBinary, nullable=False),  # encrypted
    Column("pkce", Boolean, nullable=False),  # the instance announces S256
    Column("created_at", UTCDateTime(), nullable=False),
)

# --- post import (issue 5 §6): the posts prepared from an archive, and what was posted ---

# One row per own tweet chosen for the import, prepared from a re-sent archive: the post
# texts (a long tweet becomes several parts) with their facets, media kept on disk until
# the import ends, and the thread it belongs to. Deleted when the import ends or /forget.
post_items = Table(
    "post_items",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("tweet_id", BigInteger, primary_key=True),
    Column("seq", Integer, nullable=False),  # order of posting
    Column("root_id", BigInteger, nullable=False),  # the tweet that starts its thread
    Column("parent_id", BigInteger),  # the own tweet it replies to, if imported too
    Column("created_at", UTCDateTime()),
    Column("parts", JSON, nullable=False),  # [{"text": ..., "facets": [...]}]
    Column("media", JSON, nullable=False),  # [{"file", "kind", "width", "height", ...}]
    Column("langs", JSON, nullable=False),
    Column("note", String(32)),  # e.g. video_too_long: media left out, said in the report
    Index("ix_post_items_user_seq", "user_id", "seq"),
)

# Tweet id -> post URI, once per (user, tweet, part): a tweet is never posted twice.
post_log = Table(
    "post_log",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("tweet_id", BigInteger, primary_key=True),
    Column("part", Integer, primary_key=True),
    Column("status", String(16), nullable=False),  # posted | failed
    Column("uri", Text),
    Column("cid", String(128)),
    Column("created_at", UTCDateTime(), nullable=False),
)

# The Bluesky points budget of an account, shared by every job that writes to it.
rate_budgets = Table(
    "rate_budgets",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("network", String(16), primary_key=True),
    Column("state", JSON, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# --- organisations (issue 6): a group chat where an organisation's people migrate together ---

# One organisation per group chat. Removed (the bot left the group) organisations keep their
# data for CHATBOT_ORG_RETENTION_DAYS, then the periodic loop deletes them.
organisations = Table(
    "organisations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("chat_id", String(255), nullable=False),
    Column("name", String(200), nullable=False),
    Column("languages", JSON, nullable=False),  # ["fr", "en"]: the languages of its messages
    Column("admin_user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("audience_user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("digest", Boolean, nullable=False, server_default=false()),
    Column("last_digest_at", UTCDateTime()),
    Column("removed_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("join_token", String(32), nullable=False),
    UniqueConstraint("platform", "chat_id", name="uq_organisations_chat"),
    UniqueConstraint("join_token", name="uq_organisations_join_token"),
)

# The organisation's own new accounts (public: shown in its announcement).
org_accounts = Table(
    "org_accounts",
    metadata,
    Column(
        "org_id", Integer, ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("network", String(16), primary_key=True),  # bluesky | mastodon
    Column("handle", String(255), nullable=False),
)

org_members = Table(
    "org_members",
    metadata,
    Column(
        "org_id", Integer, ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("roster", Boolean, nullable=False, server_default=false()),  # agreed to be listed
    Column("joined_at", UTCDateTime(), nullable=False),
    Index("ix_org_members_user_id", "user_id"),
)

# The organisation's official accounts, imported by an admin from a CSV (vouched by them).
org_roster = Table(
    "org_roster",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("org_id", Integer, ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
    Column("x_username", String(64), nullable=False),
    Column("x_id", BigInteger),
    Column("bluesky", String(255)),  # a handle or a DID
    Column("mastodon", String(255)),  # user@instance
    Index("ix_org_roster_org_id", "org_id"),
)

# One row per organisation per day: the shared progress drawn by /progress.
org_snapshots = Table(
    "org_snapshots",
    metadata,
    Column(
        "org_id", Integer, ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("day", Date, primary_key=True),
    Column("joined", Integer, nullable=False),
    Column("moved", Integer, nullable=False),
    Column("follows", Integer, nullable=False),
    Column("share_bluesky", Float),  # None: unknown (no audience, or the network was down)
    Column("share_mastodon", Float),
)
