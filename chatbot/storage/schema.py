"""The tables, as SQLAlchemy Core metadata. Migrations in `migrations/versions` create them.

Users, archives and matching are here; the migration steps' tables are in
`schema_migration`, the organisations' in `schema_orgs` (all on one `metadata`).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from chatbot.storage.schema_base import UTCDateTime, metadata
from chatbot.storage.schema_migration import (
    artefact_log,
    connected_accounts,
    follow_log,
    jobs,
    mastodon_apps,
    post_items,
    post_log,
    profile_backups,
    rate_budgets,
)
from chatbot.storage.schema_oauth import oauth_client_keys, oauth_confirmations, oauth_states
from chatbot.storage.schema_orgs import (
    org_accounts,
    org_members,
    org_roster,
    org_snapshots,
    organisations,
)

__all__ = [
    "UTCDateTime", "archives", "artefact_log", "chat_state", "connected_accounts",
    "directory_entries", "follow_log", "handle_hints", "jobs", "mastodon_apps",
    "match_decisions", "match_reports", "metadata", "oauth_client_keys",
    "oauth_confirmations", "oauth_states", "org_accounts", "org_members", "org_roster",
    "org_snapshots", "organisations", "post_items", "post_log", "profile_backups",
    "rate_budgets", "users", "x_name_observations",
]  # fmt: skip

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
    # "<user_id>|<provenance_detail>": one row per source, whose proofs are its own
    Column("source_key", String(300), nullable=False, server_default=""),
    Column("new_account_proof", String(16), nullable=False),  # none | login | bio_code
    Column("x_proof", String(16), nullable=False),  # none | oembed | org_vouch
    Column("findable", Boolean, nullable=False),
    Column("withdrawn_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint(
        "x_id", "network", "target", "provenance", "source_key", name="uq_directory_entries_link"
    ),
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
    Column("users", Integer, nullable=False),  # observers old enough to count
    Column("young_since", UTCDateTime()),  # the oldest observer not counted yet (too new)
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

# Users who reported a directory match as wrong: the bot's administrators review them and
# may retract the rows behind the match (`/reports`).
match_reports = Table(
    "match_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("x_id", BigInteger, nullable=False),
    Column("network", String(16), nullable=False),
    Column("target", String(255), nullable=False),
    Column("reporter_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("reporter_id", "x_id", "network", "target"),
    Index("ix_match_reports_x_id", "x_id"),
)
