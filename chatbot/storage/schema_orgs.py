"""Tables of the organisations (issue 6): group chats whose people migrate together."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    false,
)

from chatbot.storage.schema_base import UTCDateTime, metadata

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
    Column("join_token_issued_at", UTCDateTime()),  # NULL (before issue 11): expired
    # a bot administrator approved it: its roster's vouches count (never alone for follows)
    Column("approved_at", UTCDateTime()),
    Column("approved_by", String(64)),
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
    Column("code", String(32)),  # the code to put in its bio
    Column("proved_at", UTCDateTime()),  # when a group administrator proved it
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
