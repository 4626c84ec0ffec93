"""one head: join the three feature branches of 0001 (decision 041)

Revision ID: 0005
Revises: 0002, 0003, 0004

A merge revision: no schema change. A database at any combination of 0002, 0003 and 0004 goes
on to 0005 with ``upgrade heads``; from here the scripts have one head, and a test keeps it so.
"""

from __future__ import annotations

revision = "0005"
down_revision = ("0002", "0003", "0004")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
