"""send reports and violations (issue 10; decision 079)

Revision ID: 0017
Revises: 0016

``send_reports``: one row per (group, the sender's message id), so a report sent again finds
it and records nothing; the contact, channel, scope, category, when it was sent and reported,
and its judgment (the reason, the deciding event, the violation's id). ``violations``: the
sends that were not eligible when sent, keyed by contact, with the deciding event's id. New
tables only: nothing to backfill (sends are judged as they are reported).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "send_reports",
        sa.Column("group_id", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.BigInteger(), nullable=False),
        sa.Column("reported_at", sa.BigInteger(), nullable=False),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=True),
        sa.Column("violation_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("group_id", "message_id", name=op.f("pk_send_reports")),
    )
    op.create_index("ix_send_reports_group_id_sent_at", "send_reports", ["group_id", "sent_at"])
    op.create_index("ix_send_reports_contact_id", "send_reports", ["contact_id"])
    op.create_table(
        "violations",
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", "id", name=op.f("pk_violations")),
    )
    op.create_index(
        "ix_violations_group_id_sent_at_id", "violations", ["group_id", "sent_at", "id"]
    )
    op.create_index("ix_violations_event_id", "violations", ["event_id"])


def downgrade() -> None:
    op.drop_table("violations")
    op.drop_table("send_reports")
