"""Mastodon apps remember the scopes they were registered with (issue 15 item 4).

A server answers "the requested scope is invalid" when an authorization asks for scopes
its app was not registered with; servers that refuse the precise scopes get an app with
the broad ones (``read write follow``). Apps registered before this migration have no
scopes recorded: they hold the precise scopes the bot asked for then.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("mastodon_apps", sa.Column("scopes", sa.String(255)))


def downgrade() -> None:
    with op.batch_alter_table("mastodon_apps") as batch:
        batch.drop_column("scopes")
