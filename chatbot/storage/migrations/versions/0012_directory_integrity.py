"""Directory integrity: who may vouch, which archives corroborate, reported matches (issue 11).

* ``directory_entries.source_key``: one row per source (the user who linked, the
  organisation, the import), so that a proof recorded for one row never lands on another
  and one source's link never overwrites another's (the unique key includes it);
* ``organisations.approved_at`` / ``approved_by``: a bot administrator approved the
  organisation, whose roster vouches then count (never alone for automatic follows);
* ``org_accounts.code`` / ``proved_at``: the organisation's own account, proved by the bot's
  code in its bio (checked by a group administrator), a condition of approval;
* ``x_name_observations.young_since``: the oldest chat account among the observers not yet
  counted (too new), so the aggregate is refreshed when they come of age;
* ``match_reports``: users who reported a directory match as wrong, for the bot's
  administrators to review and retract.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("directory_entries") as batch:
        batch.add_column(
            sa.Column("source_key", sa.String(300), nullable=False, server_default="")
        )
    op.execute(
        "UPDATE directory_entries SET source_key = "
        "COALESCE(CAST(user_id AS VARCHAR(20)), '') || '|' || COALESCE(provenance_detail, '')"
    )
    with op.batch_alter_table("directory_entries") as batch:
        batch.drop_constraint("uq_directory_entries_link", type_="unique")
        batch.create_unique_constraint(
            "uq_directory_entries_link",
            ["x_id", "network", "target", "provenance", "source_key"],
        )
    op.add_column("organisations", sa.Column("approved_at", TS))
    op.add_column("organisations", sa.Column("approved_by", sa.String(64)))
    op.add_column("org_accounts", sa.Column("code", sa.String(32)))
    op.add_column("org_accounts", sa.Column("proved_at", TS))
    op.add_column("x_name_observations", sa.Column("young_since", TS))
    op.create_table(
        "match_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("x_id", sa.BigInteger(), nullable=False),
        sa.Column("network", sa.String(16), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["users.id"],
            name="fk_match_reports_reporter_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_match_reports"),
        sa.UniqueConstraint(
            "reporter_id", "x_id", "network", "target", name="uq_match_reports_reporter_id"
        ),
    )
    op.create_index("ix_match_reports_x_id", "match_reports", ["x_id"])


def downgrade() -> None:
    op.drop_index("ix_match_reports_x_id", table_name="match_reports")
    op.drop_table("match_reports")
    op.drop_column("x_name_observations", "young_since")
    op.drop_column("org_accounts", "proved_at")
    op.drop_column("org_accounts", "code")
    op.drop_column("organisations", "approved_by")
    op.drop_column("organisations", "approved_at")
    with op.batch_alter_table("directory_entries") as batch:
        batch.drop_constraint("uq_directory_entries_link", type_="unique")
        batch.create_unique_constraint(
            "uq_directory_entries_link", ["x_id", "network", "target", "provenance"]
        )
        batch.drop_column("source_key")
