"""The statements behind import jobs and saved column mappings (decision 071).

SQLAlchemy Core, off the hot paths, except a batch's row outcomes: those go in with the
import's bulk path (``Db.insert_rows``: ``COPY`` on PostgreSQL, ``executemany`` on SQLite). A
job's update names the statuses it may leave (``was``), so a worker whose job was declared
interrupted meanwhile changes nothing and learns it (``update_import_job`` returns False).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update

from consentry.adapters.store import schema as t
from consentry.adapters.store.driver import Db
from consentry.core.events import from_micros, to_micros
from consentry.core.import_jobs import (
    ImportJob,
    JobStatus,
    SavedMapping,
    outcome_of,
    report_of,
    report_text,
)
from consentry.core.imports import RowOutcome

_M = t.import_mappings.c
_J = t.import_jobs.c
_R = t.import_job_rows.c
ROW_COLUMNS = ("job_id", "line", "outcome", "contact_id", "changes", "code", "message")


# ── saved mappings ──────────────────────────────────────────────────────────
def put_import_mapping(db: Db, mapping: SavedMapping) -> None:
    """Keep a mapping under its name, replacing the one kept there."""
    values = {
        "group_id": mapping.group_id,
        "name": mapping.name,
        "spec": json.dumps(dict(mapping.spec), separators=(",", ":"), ensure_ascii=False),
        "created_by": mapping.created_by,
        "updated_at": to_micros(mapping.updated_at),
    }
    db.conn.execute(db.dialect.upsert(t.import_mappings, values, ["group_id", "name"]))


def get_import_mapping(db: Db, group_id: str, name: str) -> SavedMapping | None:
    """One saved mapping, or None."""
    query = select(t.import_mappings).where(_M.group_id == group_id, _M.name == name)
    row = db.conn.execute(query).first()
    return None if row is None else _mapping(row)


def list_import_mappings(db: Db, group_id: str) -> list[SavedMapping]:
    """A group's saved mappings, by name."""
    query = select(t.import_mappings).where(_M.group_id == group_id).order_by(_M.name)
    return [_mapping(r) for r in db.conn.execute(query)]


def _mapping(row: Any) -> SavedMapping:
    updated_at = from_micros(row.updated_at)
    assert updated_at is not None  # NOT NULL
    return SavedMapping(row.group_id, row.name, json.loads(row.spec), row.created_by, updated_at)


# ── jobs ────────────────────────────────────────────────────────────────────
def add_import_job(db: Db, job: ImportJob) -> None:
    """A new job."""
    values = {
        "id": job.id,
        "group_id": job.group_id,
        "scope_id": job.scope_id,
        "created_by": job.created_by,
        "created_at": to_micros(job.created_at),
        "format": job.file_format,
        "mapping": json.dumps(dict(job.mapping), separators=(",", ":"), ensure_ascii=False),
        "dry_run": job.dry_run,
        **_state(job),
    }
    db.conn.execute(insert(t.import_jobs).values(**values))


def get_import_job(db: Db, group_id: str, job_id: str) -> ImportJob | None:
    """One job of a group, or None."""
    query = select(t.import_jobs).where(_J.group_id == group_id, _J.id == job_id)
    row = db.conn.execute(query).first()
    return None if row is None else _job(row)


def update_import_job(db: Db, job: ImportJob, was: Sequence[JobStatus]) -> bool:
    """Store the job's status, counts, error and times if its stored status is one of ``was``;
    False when it is not (another worker or reader moved it first)."""
    query = (
        update(t.import_jobs)
        .where(_J.id == job.id, _J.status.in_([s.value for s in was]))
        .values(**_state(job))
    )
    return len(db.conn.execute(query.returning(_J.id)).all()) == 1


def _state(job: ImportJob) -> dict[str, Any]:
    return {
        "status": job.status.value,
        "rows_read": job.rows_read,
        "counts": report_text(job.report),
        "error_code": job.error_code,
        "error_message": job.error_message,
        "updated_at": to_micros(job.updated_at),
        "finished_at": to_micros(job.finished_at),
    }


def _job(row: Any) -> ImportJob:
    created_at, updated_at = from_micros(row.created_at), from_micros(row.updated_at)
    assert created_at is not None and updated_at is not None  # NOT NULL
    return ImportJob(
        id=row.id,
        group_id=row.group_id,
        scope_id=row.scope_id,
        created_by=row.created_by,
        created_at=created_at,
        status=JobStatus(row.status),
        file_format=row.format,
        mapping=json.loads(row.mapping),
        dry_run=bool(row.dry_run),
        report=report_of(row.counts, bool(row.dry_run)),
        updated_at=updated_at,
        error_code=row.error_code,
        error_message=row.error_message,
        finished_at=from_micros(row.finished_at),
    )


# ── a job's per-row report ──────────────────────────────────────────────────
def add_import_rows(db: Db, job_id: str, outcomes: Sequence[RowOutcome]) -> None:
    """A batch's row outcomes, in one bulk insert."""
    rows = [
        (job_id, o.line, o.outcome.value, o.contact_id, " ".join(o.changes) or None, o.code,
         o.message)
        for o in outcomes
    ]  # fmt: skip
    db.insert_rows("import_job_rows", ROW_COLUMNS, rows)


def import_rows(db: Db, job_id: str, after: int, limit: int) -> list[RowOutcome]:
    """Up to ``limit`` rows of a job's report with lines after ``after``, in line order."""
    query = (
        select(_R.line, _R.outcome, _R.contact_id, _R.changes, _R.code, _R.message)
        .where(_R.job_id == job_id, _R.line > after)
        .order_by(_R.line)
        .limit(limit)
    )
    return [outcome_of(*row) for row in db.conn.execute(query)]
