"""inbound dedupe per receiving number and sender (issue 8, item 1; decision 023)

Revision ID: 0006
Revises: 0005

``inbound_messages`` was keyed on (provider, message id) alone, so a STOP to one group's number
whose id another group's gateway had already used was answered as a "replay" and lost. The key
becomes (number, provider, message id, sender): a provider's retry repeats all four. ``sender``
is the keyed hash of the sender's address; the rows kept from before have none (``""``), and a
retry to their number is still answered from them (``inbound_sql.CLAIM_INBOUND``). Every row is
kept.

Going down keeps one row per (provider, message id), the earliest recorded: the old key cannot
hold two gateways' messages of one id.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NEW_KEY = ["number", "provider", "message_id", "sender"]
OLD_KEY = ["provider", "message_id"]


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sender", sa.String(length=64), nullable=False, server_default="")
        )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.alter_column("sender", existing_type=sa.String(length=64), server_default=None)
        batch_op.drop_constraint("pk_inbound_messages", type_="primary")
        batch_op.create_primary_key("pk_inbound_messages", NEW_KEY)


def downgrade() -> None:
    op.execute(
        "DELETE FROM inbound_messages WHERE EXISTS (SELECT 1 FROM inbound_messages AS o "
        "WHERE o.provider = inbound_messages.provider "
        "AND o.message_id = inbound_messages.message_id "
        "AND (o.recorded_at, o.number, o.sender) < "
        "(inbound_messages.recorded_at, inbound_messages.number, inbound_messages.sender))"
    )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_constraint("pk_inbound_messages", type_="primary")
        batch_op.create_primary_key("pk_inbound_messages", OLD_KEY)
        batch_op.drop_column("sender")
