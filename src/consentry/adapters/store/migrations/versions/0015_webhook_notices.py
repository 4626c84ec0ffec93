"""webhook notices: what webhooks announce besides consent events (issue 10; 076)

Revision ID: 0015
Revises: 0014

``webhook_notices``: a missed journey message, a re-send request, a violation — its event type,
group, scope, time and ready payload (ids, enums and times only), written with the change that
raises it; deliveries name its id as they name a consent event's. New table only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_notices",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.String(length=200), nullable=False),
        sa.Column("scope_id", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_notices")),
    )
    op.create_index("ix_webhook_notices_group_id_at", "webhook_notices", ["group_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_notices_group_id_at", table_name="webhook_notices")
    op.drop_table("webhook_notices")
