"""deliverability feeds: one row per provider report claimed (issue 10; decision 074)

Revision ID: 0011
Revises: 0010

``feed_events``: the key of a provider's report (feed, group, the provider's event id, the keyed
hash of the address), what it did (kind, outcome, contact, events, the provider's type or error
code) and its times. A retry of the same report finds its row and records nothing. New table
only: nothing to backfill.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_events",
        sa.Column("feed", sa.String(length=16), nullable=False),
        sa.Column("group_id", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("contact_id", sa.String(length=64), nullable=True),
        sa.Column("event_ids", sa.Text(), nullable=True),
        sa.Column("detail", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "feed", "group_id", "event_id", "address", name=op.f("pk_feed_events")
        ),
    )
    op.create_index("ix_feed_events_contact_id", "feed_events", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_feed_events_contact_id", table_name="feed_events")
    op.drop_table("feed_events")
