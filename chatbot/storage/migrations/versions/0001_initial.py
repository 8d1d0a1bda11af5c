"""Users, parsed archive facts, handle hints and per-chat conversation state.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("platform_user_id", sa.String(255), nullable=False),
        sa.Column("language", sa.String(8)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("platform", "platform_user_id", name="uq_users_platform_user"),
    )
    op.create_table(
        "archives",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("era", sa.String(32), nullable=False),
        sa.Column("owner_account_id", sa.String(32)),
        sa.Column("owner_username", sa.String(64)),
        sa.Column("owner_display_name", sa.Text()),
        sa.Column("owner_created_at", TS),
        sa.Column("generated_at", TS),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("first_tweet", TS),
        sa.Column("last_tweet", TS),
        sa.Column("tweets_per_year", sa.JSON(), nullable=False),
        sa.Column("following", sa.LargeBinary(), nullable=False),
        sa.Column("followers", sa.LargeBinary(), nullable=False),
        sa.Column("blocked", sa.LargeBinary(), nullable=False),
        sa.Column("muted", sa.LargeBinary(), nullable=False),
        sa.Column("handles_without_id", sa.JSON(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("previous_usernames", sa.JSON(), nullable=False),
        sa.Column("tweet_years_by_part", sa.JSON(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_archives"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_archives_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "handle_hints",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("x_id", sa.BigInteger(), nullable=False),
        sa.Column("screen_name", sa.String(64), nullable=False),
        sa.Column("seen", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "x_id", "screen_name", name="pk_handle_hints"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_handle_hints_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "chat_state",
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("platform", "chat_id", "user_id", name="pk_chat_state"),
    )


def downgrade() -> None:
    op.drop_table("chat_state")
    op.drop_table("handle_hints")
    op.drop_table("archives")
    op.drop_table("users")
