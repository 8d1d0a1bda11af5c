"""Join links expire: when each organisation's join token was issued (issue 11 §4.12).

Tokens issued before this migration have no date: they count as expired, so links that
were forwarded long ago stop working, and the next /join in the group issues a new one.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("organisations", sa.Column("join_token_issued_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("join_token_issued_at")
