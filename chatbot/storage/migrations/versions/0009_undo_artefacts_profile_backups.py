"""Undo (issue 15): the lists and starter packs the bot made, the profiles it replaced.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "artefact_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer()),
        sa.Column("network", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("uri", sa.String(512), nullable=False),
        sa.Column("cid", sa.String(128)),
        sa.Column("list_uri", sa.String(512)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("undone_at", TS),
        _user_fk("artefact_log"),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name="fk_artefact_log_org_id_organisations",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_artefact_log"),
        sa.UniqueConstraint("uri", name="uq_artefact_log_uri"),
    )
    op.create_index("ix_artefact_log_user_id", "artefact_log", ["user_id"])
    op.create_index("ix_artefact_log_org_id", "artefact_log", ["org_id"])
    op.create_table(
        "profile_backups",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(16), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("avatar", sa.LargeBinary()),
        sa.Column("banner", sa.LargeBinary()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("restored_at", TS),
        _user_fk("profile_backups"),
        sa.PrimaryKeyConstraint("user_id", "network", name="pk_profile_backups"),
    )


def downgrade() -> None:
    op.drop_table("profile_backups")
    op.drop_index("ix_artefact_log_org_id", table_name="artefact_log")
    op.drop_index("ix_artefact_log_user_id", table_name="artefact_log")
    op.drop_table("artefact_log")
