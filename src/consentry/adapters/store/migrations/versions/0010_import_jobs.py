"""import jobs over the API and saved column mappings (issue 11; decision 071)

Revision ID: 0010
Revises: 0009

``import_mappings``: a column mapping's text form (JSON) kept under a name in a group.
``import_jobs``: one row per import uploaded through the API (status, scope, format, mapping,
dry run, rows read, the counts as JSON, the error that ended it, its times). ``import_job_rows``:
each job's per-row report, one row per line of the file. New tables only: nothing to backfill.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_mappings",
        sa.Column("group_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "name", name=op.f("pk_import_mappings")),
    )
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.String(length=200), nullable=False),
        sa.Column("scope_id", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("mapping", sa.Text(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("rows_read", sa.BigInteger(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
    )
    op.create_index("ix_import_jobs_group_id_created_at", "import_jobs", ["group_id", "created_at"])
    op.create_table(
        "import_job_rows",
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("line", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("contact_id", sa.String(length=64), nullable=True),
        sa.Column("changes", sa.Text(), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("job_id", "line", name=op.f("pk_import_job_rows")),
    )


def downgrade() -> None:
    op.drop_table("import_job_rows")
    op.drop_index("ix_import_jobs_group_id_created_at", table_name="import_jobs")
    op.drop_table("import_jobs")
    op.drop_table("import_mappings")
