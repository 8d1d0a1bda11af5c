"""Tables of the migration steps (issue 5): jobs, follows, connected accounts, post imports."""

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
)

from chatbot.storage.schema_base import UTCDateTime, metadata

# --- migration jobs (issue 5 §3): background work whose state and checkpoints live here ---

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(32), nullable=False),  # follow_|undo_<network>, block_|import_bluesky
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
    Column("scopes", String(255)),  # registered with (space-separated); NULL: before 0012
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

# --- undo (issue 15): what the bot made beyond follows and posts, and what it replaced ---

# Every Bluesky list and starter pack the bot created (for a user, or for an organisation
# on its admin's account): /undo deletes them, follows point at an organisation's pack.
artefact_log = Table(
    "artefact_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("org_id", Integer, ForeignKey("organisations.id", ondelete="SET NULL")),
    Column("network", String(16), nullable=False),  # bluesky
    Column("kind", String(16), nullable=False),  # list | starterpack
    Column("uri", String(512), nullable=False),  # the record's at:// URI
    Column("cid", String(128)),  # a starter pack's CID: the strongRef of follows' `via`
    Column("list_uri", String(512)),  # a starter pack's own list
    Column("status", String(16), nullable=False),  # made | undone
    Column("created_at", UTCDateTime(), nullable=False),
    Column("undone_at", UTCDateTime()),
    UniqueConstraint("uri", name="uq_artefact_log_uri"),
    Index("ix_artefact_log_user_id", "user_id"),
    Index("ix_artefact_log_org_id", "org_id"),
)

# The profile as it was before /profile first copied the X one, per network: the fields
# the bot changed, their previous values, and the previous pictures' bytes (a PDS drops a
# blob no record refers to any more, so a blob reference alone could not be put back).
profile_backups = Table(
    "profile_backups",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("network", String(16), primary_key=True),
    Column("fields", JSON, nullable=False),  # {"changed": [...], "name": ..., "bio": ...}
    Column("avatar", LargeBinary),  # at most 2,000,000 bytes each
    Column("banner", LargeBinary),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("restored_at", UTCDateTime()),
)
