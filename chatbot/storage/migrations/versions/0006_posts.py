"""Post import: prepared posts, the tweet -> post log, shared rate budgets (issue 5 §6).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "post_items",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tweet_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("root_id", sa.BigInteger(), nullable=False),
        sa.Column("parent_id", sa.BigInteger()),
        sa.Column("created_at", TS),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("langs", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(32)),
        _user_fk("post_items"),
        sa.PrimaryKeyConstraint("user_id", "tweet_id", name="pk_post_items"),
    )
    op.create_index("ix_post_items_user_seq", "post_items", ["user_id", "seq"])
    op.create_table(
        "post_log",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tweet_id", sa.BigInteger(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("uri", sa.Text()),
        sa.Column("cid", sa.String(128)),
        sa.Column("created_at", TS, nullable=False),
        _user_fk("post_log"),
        sa.PrimaryKeyConstraint("user_id", "tweet_id", "part", name="pk_post_log"),
    )
    op.create_table(
        "rate_budgets",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(16), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _user_fk("rate_budgets"),
        sa.PrimaryKeyConstraint("user_id", "network", name="pk_rate_budgets"),
    )


def downgrade() -> None:
    op.drop_table("rate_budgets")
    op.drop_table("post_log")
    op.drop_index("ix_post_items_user_seq", table_name="post_items")
    op.drop_table("post_items")
