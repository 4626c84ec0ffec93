"""journeys: journey messages, missed ones, re-send requests, scheduled journeys (issue 10)

Revision ID: 0016
Revises: 0015

``journey_messages``: each journey message a sender reported (or a scheduled run recorded), keyed
by the contact and the sender's message id, with how it was judged at the moment it was
triggered (sent or missed, the reason, the deciding event) and the re-send request, if any.
``scheduled_journeys``: birthday-type journeys (a channel at a scope and the contact attribute
holding the date). ``journey_runs``: one row per (scheduled journey, UTC day), inserted once, so
a day's run happens once even with several workers. New tables only: nothing to backfill
(decision 078).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journey_messages",
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.String(length=200), nullable=False),
        sa.Column("journey", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("triggered_at", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("decided_scope_id", sa.String(length=200), nullable=True),
        sa.Column("decided_event_id", sa.String(length=64), nullable=True),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.Column("scheduled_journey_id", sa.String(length=64), nullable=True),
        sa.Column("resend_requested_by", sa.String(length=200), nullable=True),
        sa.Column("resend_requested_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("contact_id", "message_id", name=op.f("pk_journey_messages")),
    )
    op.create_index("ix_journey_messages_id", "journey_messages", ["id"])
    op.create_index(
        "ix_journey_messages_group_id_outcome_id",
        "journey_messages",
        ["group_id", "outcome", "id"],
    )
    op.create_table(
        "scheduled_journeys",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.String(length=200), nullable=False),
        sa.Column("scope_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("attribute", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_journeys")),
    )
    op.create_index("ix_scheduled_journeys_group_id", "scheduled_journeys", ["group_id"])
    op.create_table(
        "journey_runs",
        sa.Column("journey_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.Column("triggered", sa.Integer(), nullable=False),
        sa.Column("missed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("journey_id", "day", name=op.f("pk_journey_runs")),
    )


def downgrade() -> None:
    op.drop_table("journey_runs")
    op.drop_table("scheduled_journeys")
    op.drop_table("journey_messages")
