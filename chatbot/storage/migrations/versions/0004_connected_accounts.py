"""Connected Bluesky and Mastodon accounts (encrypted secrets), Mastodon apps per instance.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "connected_accounts",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(16), nullable=False),
        sa.Column("handle", sa.String(255), nullable=False),
        sa.Column("did", sa.String(255)),
        sa.Column("service_url", sa.String(512), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "network", name="pk_connected_accounts"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_connected_accounts_user_id_users",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "mastodon_apps",
        sa.Column("instance_url", sa.String(512), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("client_secret", sa.LargeBinary(), nullable=False),
        sa.Column("pkce", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("instance_url", name="pk_mastodon_apps"),
    )


def downgrade() -> None:
    op.drop_table("mastodon_apps")
    op.drop_table("connected_accounts")
