"""transactional policies: a group's own choice per channel (issue 10; decision 075)

Revision ID: 0012
Revises: 0011

``transactional_policies``: per (group, channel), whether a transactional message may reach a
contact who opted out of marketing there; who set it and when. A channel with no row follows
the deployment's default. New table only: nothing to backfill.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transactional_policies",
        sa.Column("group_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("bypass", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "channel", name=op.f("pk_transactional_policies")),
    )


def downgrade() -> None:
    op.drop_table("transactional_policies")
