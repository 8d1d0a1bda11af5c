"""Organisations: group chats that migrate together (issue 6).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["org_id"],
        ["organisations.id"],
        name=f"fk_{table}_org_id_organisations",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("admin_user_id", sa.Integer()),
        sa.Column("audience_user_id", sa.Integer()),
        sa.Column("digest", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("last_digest_at", TS),
        sa.Column("removed_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("join_token", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["admin_user_id"],
            ["users.id"],
            name="fk_organisations_admin_user_id_users",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["audience_user_id"],
            ["users.id"],
            name="fk_organisations_audience_user_id_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_organisations"),
        sa.UniqueConstraint("platform", "chat_id", name="uq_organisations_chat"),
        sa.UniqueConstraint("join_token", name="uq_organisations_join_token"),
    )
    op.create_table(
        "org_accounts",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(16), nullable=False),
        sa.Column("handle", sa.String(255), nullable=False),
        _org_fk("org_accounts"),
        sa.PrimaryKeyConstraint("org_id", "network", name="pk_org_accounts"),
    )
    op.create_table(
        "org_members",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("roster", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("joined_at", TS, nullable=False),
        _org_fk("org_members"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_org_members_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("org_id", "user_id", name="pk_org_members"),
    )
    op.create_index("ix_org_members_user_id", "org_members", ["user_id"])
    op.create_table(
        "org_roster",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("x_username", sa.String(64), nullable=False),
        sa.Column("x_id", sa.BigInteger()),
        sa.Column("bluesky", sa.String(255)),
        sa.Column("mastodon", sa.String(255)),
        _org_fk("org_roster"),
        sa.PrimaryKeyConstraint("id", name="pk_org_roster"),
    )
    op.create_index("ix_org_roster_org_id", "org_roster", ["org_id"])
    op.create_table(
        "org_snapshots",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("joined", sa.Integer(), nullable=False),
        sa.Column("moved", sa.Integer(), nullable=False),
        sa.Column("follows", sa.Integer(), nullable=False),
        sa.Column("share_bluesky", sa.Float()),
        sa.Column("share_mastodon", sa.Float()),
        _org_fk("org_snapshots"),
        sa.PrimaryKeyConstraint("org_id", "day", name="pk_org_snapshots"),
    )


def downgrade() -> None:
    op.drop_table("org_snapshots")
    op.drop_index("ix_org_roster_org_id", table_name="org_roster")
    op.drop_table("org_roster")
    op.drop_index("ix_org_members_user_id", table_name="org_members")
    op.drop_table("org_members")
    op.drop_table("org_accounts")
    op.drop_table("organisations")
