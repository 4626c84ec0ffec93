"""evidence files, and the consents index the status filter reads (issue 9; decision 067)

Revision ID: 0009
Revises: 0008

``evidence_files``: the uploaded copy of a contact's written permission, one row per (contact,
SHA-256 of its bytes), written in the transaction of the opt-in whose evidence names that hash;
the same file uploaded twice for one contact is one row. Erasure deletes a contact's rows.

``ix_consents_group_channel_status`` (group, channel, status) becomes
``ix_consents_group_channel_status_scope_contact`` (the same columns, then scope and contact): a
page of the contacts table filtered by opt-in status reads the rows of one status at one scope
of the signed-in person's path in contact order straight from it, and stops after a page; the
old index is its prefix, so every read that used it still can.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OLD_INDEX = "ix_consents_group_channel_status"
NEW_INDEX = "ix_consents_group_channel_status_scope_contact"


def upgrade() -> None:
    op.create_table(
        "evidence_files",
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", "sha256", name=op.f("pk_evidence_files")),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index(
            NEW_INDEX, ["group_id", "channel", "status", "scope_id", "contact_id"], unique=False
        )
        batch_op.drop_index(OLD_INDEX)


def downgrade() -> None:
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index(OLD_INDEX, ["group_id", "channel", "status"], unique=False)
        batch_op.drop_index(NEW_INDEX)
    op.drop_table("evidence_files")
