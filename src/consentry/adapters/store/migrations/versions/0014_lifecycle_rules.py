"""lifecycle rules: every version of each rule, and the firings they skipped (issue 10; 077)

Revision ID: 0014
Revises: 0013

``lifecycle_rules``: every version of every rule (its trigger, the status it sets on a channel
at a scope, the admin's record of permission for an opt-in rule); ``is_current`` marks the version
that fires, none once the rule is deleted (the versions stay: events name them).
``lifecycle_rule_skips``: a firing that changed nothing, by contact, with its reason (a hard
opt-out is never lifted by a rule). New tables only: nothing to backfill (a rule fires on
changes made after it exists).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lifecycle_rules",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.String(length=200), nullable=False),
        sa.Column("scope_id", sa.String(length=200), nullable=False),
        sa.Column("trigger_kind", sa.String(length=32), nullable=False),
        sa.Column("trigger_name", sa.String(length=200), nullable=True),
        sa.Column("trigger_value", sa.String(length=1000), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("permission", sa.Text(), nullable=True),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", "version", name=op.f("pk_lifecycle_rules")),
    )
    op.create_index(
        "ix_lifecycle_rules_group_id_is_current", "lifecycle_rules", ["group_id", "is_current"]
    )
    op.create_table(
        "lifecycle_rule_skips",
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.String(length=200), nullable=False),
        sa.Column("trigger_label", sa.String(length=300), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", "id", name=op.f("pk_lifecycle_rule_skips")),
    )
    op.create_index("ix_lifecycle_rule_skips_rule_id_at", "lifecycle_rule_skips", ["rule_id", "at"])


def downgrade() -> None:
    op.drop_table("lifecycle_rule_skips")
    op.drop_table("lifecycle_rules")
