"""Import jobs over the API: a file uploaded, imported in the background, its report kept (071).

An import over the API is a **job**: the upload is accepted at once (``queued``), a background
worker imports it (``running``) batch by batch, each batch's row outcomes and the counts so far
kept right after the batch committed, and it ends ``done`` or ``failed`` with an error code::

    queued ──► running ──► done
       │          │
       └──────────┴──────► failed  (the error's code; import_interrupted: its server stopped)

A job whose worker died (the server stopped mid-import) is never updated again; once it has not
been updated for ``STALE_AFTER`` (a dry run: ``DRY_RUN_STALE_AFTER``, since its one transaction
lets nothing be written until its end) it reads as ``failed`` with ``import_interrupted``.
Importing the same file again is safe: an import changes nothing twice (decision 070).

A **saved mapping** is a column mapping (``imports.parse_mapping``'s text form) kept under a
name in the group, to reuse for the next file of the same shape.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from consentry.core.exports import ExportFormat, Record
from consentry.core.imports import ImportReport, Outcome, RowOutcome

MAPPING_NAME = 64  #: the longest name of a saved mapping
STALE_AFTER = timedelta(minutes=15)  #: a running job not updated for this long is interrupted
DRY_RUN_STALE_AFTER = timedelta(hours=2)  #: the same for a dry run (no update until its end)
INTERRUPTED = "import_interrupted"  #: ``errors.ImportInterrupted.code``
REPORT_COLUMNS = ("line", "outcome", "contact_id", "changes", "code", "message")


class JobStatus(StrEnum):
    """Where an import job is. Add, never rename or remove."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


#: The statuses of a job that has not ended.
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


@dataclass(frozen=True, slots=True)
class SavedMapping:
    """A column mapping kept under a name in a group."""

    group_id: str
    name: str
    spec: Mapping[str, str]
    created_by: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ImportJob:
    """One import over the API: what it imports, where it is, and its counts so far."""

    id: str
    group_id: str
    scope_id: str
    created_by: str
    created_at: datetime
    status: JobStatus
    file_format: str  #: ``import_files.FileFormat``'s value: csv or ndjson
    mapping: Mapping[str, str]
    dry_run: bool
    report: ImportReport
    updated_at: datetime
    error_code: str | None = None
    error_message: str | None = None
    finished_at: datetime | None = None

    @property
    def rows_read(self) -> int:
        """The rows imported (or, in a dry run, judged) so far."""
        return self.report.rows

    def stale(self, now: datetime) -> bool:
        """True when the job has not ended and its worker has not updated it for too long."""
        window = DRY_RUN_STALE_AFTER if self.dry_run else STALE_AFTER
        return self.status in ACTIVE and now - self.updated_at > window

    def moved(self, status: JobStatus, now: datetime) -> ImportJob:
        """The job in another status, updated now (ended, when the status is an end)."""
        finished = None if status in ACTIVE else now
        return replace(self, status=status, updated_at=now, finished_at=finished)

    def failed(self, code: str, message: str, now: datetime) -> ImportJob:
        """The job ended by an error."""
        ended = self.moved(JobStatus.FAILED, now)
        return replace(ended, error_code=code, error_message=message)


def report_text(report: ImportReport) -> str:
    """An import's counts as JSON text (how a job keeps them)."""
    counts = {
        "rows": report.rows, "created": report.created, "updated": report.updated,
        "unchanged": report.unchanged, "refused": report.refused, "opted_in": report.opted_in,
        "opted_out": report.opted_out, "events": report.events, "batches": report.batches,
        "refusals": dict(sorted(report.refusals.items())),
    }  # fmt: skip
    return json.dumps(counts, separators=(",", ":"))


def report_of(text: str, dry_run: bool) -> ImportReport:
    """The counts ``report_text`` wrote, as a report again."""
    counts = json.loads(text)
    report = ImportReport(dry_run=dry_run)
    report.refusals = {str(k): int(v) for k, v in counts.pop("refusals", {}).items()}
    for name, value in counts.items():
        setattr(report, name, int(value))
    return report


def counted(report: ImportReport, outcomes: Sequence[RowOutcome]) -> None:
    """Add one more batch to a job's running counts (as the import itself counts it)."""
    report.add(outcomes)
    report.batches += 1
    report.events += sum(len(o.changes) for o in outcomes)


def report_record(row: RowOutcome, fmt: ExportFormat) -> Record:
    """One row of a job's report: its changes a list in NDJSON, space-separated in CSV."""
    changes: list[str] | str = list(row.changes)
    if fmt is ExportFormat.CSV:
        changes = " ".join(row.changes)
    return {
        "line": row.line, "outcome": row.outcome.value, "contact_id": row.contact_id,
        "changes": changes, "code": row.code, "message": row.message,
    }  # fmt: skip


def outcome_of(
    line: int,
    outcome: str,
    contact_id: str | None,
    changes: str | None,
    code: str | None,
    message: str | None,
) -> RowOutcome:
    """A row outcome as a job keeps it (changes space-separated), read back."""
    kept = tuple((changes or "").split())
    return RowOutcome(line, Outcome(outcome), contact_id, kept, code, message)
