"""The X-id directory, aggregated archive observations (id -> screen name), match decisions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "directory_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("x_id", sa.BigInteger(), nullable=False),
        sa.Column("x_username", sa.String(64)),
        sa.Column("network", sa.String(16), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("handle", sa.String(255)),
        sa.Column("did", sa.String(255)),
        sa.Column("acct", sa.String(255)),
        sa.Column("provenance", sa.String(16), nullable=False),
        sa.Column("provenance_detail", sa.String(255)),
        sa.Column("user_id", sa.Integer()),
        sa.Column("new_account_proof", sa.String(16), nullable=False),
        sa.Column("x_proof", sa.String(16), nullable=False),
        sa.Column("findable", sa.Boolean(), nullable=False),
        sa.Column("withdrawn_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_directory_entries"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_directory_entries_user_id_users",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "x_id", "network", "target", "provenance", name="uq_directory_entries_link"
        ),
    )
    op.create_index("ix_directory_entries_x_id", "directory_entries", ["x_id"])
    op.create_index("ix_directory_entries_user_id", "directory_entries", ["user_id"])
    op.create_table(
        "x_name_observations",
        sa.Column("x_id", sa.BigInteger(), nullable=False),
        sa.Column("screen_name", sa.String(64), nullable=False),
        sa.Column("users", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("x_id", "screen_name", name="pk_x_name_observations"),
    )
    op.create_index("ix_x_name_observations_screen_name", "x_name_observations", ["screen_name"])
    op.create_table(
        "match_decisions",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("x_id", sa.BigInteger(), nullable=False),
        sa.Column("network", sa.String(16), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("decided_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "x_id", "network", "target", name="pk_match_decisions"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_match_decisions_user_id_users",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("match_decisions")
    op.drop_index("ix_x_name_observations_screen_name", table_name="x_name_observations")
    op.drop_table("x_name_observations")
    op.drop_index("ix_directory_entries_user_id", table_name="directory_entries")
    op.drop_index("ix_directory_entries_x_id", table_name="directory_entries")
    op.drop_table("directory_entries")
