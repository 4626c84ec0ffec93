"""Preferences: shared rate limits and the look-ups of the hosted pages (issue 5)

Revision ID: 0004
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("bucket", sa.String(length=100), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_rate_limits")),
    )
    op.create_index("ix_contact_keys_kind_digest", "contact_keys", ["kind", "digest"])
    op.create_index("ix_consents_group_id_confirm_until", "consents", ["group_id", "confirm_until"])


def downgrade() -> None:
    op.drop_index("ix_consents_group_id_confirm_until", table_name="consents")
    op.drop_index("ix_contact_keys_kind_digest", table_name="contact_keys")
    op.drop_table("rate_limits")
