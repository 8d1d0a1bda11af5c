"""Users: their private chat (to write to them later), their link code, new-match notices.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("private_chat_id", sa.String(255)))
        batch.add_column(sa.Column("link_code", sa.String(32)))
        batch.add_column(
            sa.Column("notify_matches", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("notified_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("notified_at")
        batch.drop_column("notify_matches")
        batch.drop_column("link_code")
        batch.drop_column("private_chat_id")
