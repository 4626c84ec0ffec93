"""trend counts per group, scope, channel and UTC day (issue 9, Trends; decision 066)

Revision ID: 0008
Revises: 0007

``trend_days``: the net change of the subscribed (``opted_in``) and unsubscribed (soft or hard
opt-out) projection rows, and the number of ``opted_out`` events, per (group, scope, channel,
UTC day as days since 1970-01-01). From now on each consent event's append adds to it.

The backfill, from what is there: the current totals of each (group, scope, channel), counted
from ``consents``, as the deltas of the migration's UTC day (the projection keeps no history of
totals, so the series starts there); and the opt-outs of every past day, counted from
``events``, so the spike rule has its 28 days at once. Times are microseconds since 1970 (UTC)
and never negative, so ``recorded_at / 86400000000`` is the day on SQLite and on PostgreSQL
(integer division on both).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

DAY_MICROS = 86_400_000_000

TOTALS = """
INSERT INTO trend_days (group_id, scope_id, channel, day, subscribed_delta, unsubscribed_delta,
                        opt_outs)
SELECT group_id, scope_id, channel, :today,
       SUM(CASE WHEN status = 'opted_in' THEN 1 ELSE 0 END),
       SUM(CASE WHEN status IN ('soft_opt_out', 'hard_opt_out') THEN 1 ELSE 0 END), 0
FROM consents
WHERE status IN ('opted_in', 'soft_opt_out', 'hard_opt_out')
GROUP BY group_id, scope_id, channel
"""

OPT_OUTS = f"""
INSERT INTO trend_days (group_id, scope_id, channel, day, subscribed_delta, unsubscribed_delta,
                        opt_outs)
SELECT group_id, scope_id, channel, recorded_at / {DAY_MICROS}, 0, 0, COUNT(*)
FROM events
WHERE action = 'opted_out'
GROUP BY group_id, scope_id, channel, recorded_at / {DAY_MICROS}
ON CONFLICT (group_id, scope_id, channel, day)
DO UPDATE SET opt_outs = excluded.opt_outs
"""


def upgrade() -> None:
    op.create_table(
        "trend_days",
        sa.Column("group_id", sa.String(length=200), nullable=False),
        sa.Column("scope_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("subscribed_delta", sa.BigInteger(), nullable=False),
        sa.Column("unsubscribed_delta", sa.BigInteger(), nullable=False),
        sa.Column("opt_outs", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "group_id", "scope_id", "channel", "day", name=op.f("pk_trend_days")
        ),
    )
    today = (datetime.now(UTC).date() - date(1970, 1, 1)).days
    op.execute(sa.text(TOTALS).bindparams(today=today))
    op.execute(sa.text(OPT_OUTS))


def downgrade() -> None:
    op.drop_table("trend_days")
