"""Import jobs and saved column mappings: an import over the API (issue 11; decision 071).

An entrypoint keeps the uploaded file and runs the job; these use cases keep its record:

1. ``start_import`` checks everything that can be checked before a row is read (the caller's
   right at the scope, the mapping, the evidence) and records the job ``queued``;
2. ``run_import`` (the entrypoint's background worker) moves it to ``running`` and imports the
   rows with ``imports.import_contacts``. After each batch commits, the batch's row outcomes and
   the counts so far are written in a small transaction of their own. A crash between the two
   leaves that batch's contacts committed and the job's report without them; importing the file
   again reports those rows ``unchanged``. A **dry run** writes nothing until its one
   transaction has ended (on SQLite no one else may write meanwhile), so its outcomes wait in
   an ``OutcomeSpool`` and are written after it;
3. it ends ``done``, or ``failed`` with the refusal's code (``internal_error`` for a fault);
4. ``get_import_job`` reads it: a job whose worker stopped updating it (its server died) is
   recorded ``failed`` with ``import_interrupted`` when read (``ImportJob.stale``);
   ``import_report`` streams its per-row report as CSV or NDJSON.

Who: the ``import`` capability (admins, the operator), at the job's scope; another group's job
or mapping is not found. Saved mappings belong to the group: anyone who may import in it may
save, replace and read them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from consentry.core import limits
from consentry.core.errors import (
    ConsentryError,
    ImportInterrupted,
    ImportJobNotFound,
    ImportMappingNotFound,
    InternalError,
    InvalidMapping,
)
from consentry.core.events import canonical_evidence
from consentry.core.exports import ExportFormat, encode, header, parse_format
from consentry.core.ids import new_id
from consentry.core.import_jobs import (
    ACTIVE,
    INTERRUPTED,
    MAPPING_NAME,
    REPORT_COLUMNS,
    ImportJob,
    JobStatus,
    SavedMapping,
    counted,
    report_record,
)
from consentry.core.imports import ImportReport, RowOutcome, parse_mapping
from consentry.core.permissions import Capability, Principal, authorise
from consentry.ledger.context import Context
from consentry.ledger.imports import DEFAULT_BATCH, Line, import_contacts
from consentry.ledger.ports import OutcomeSpool
from consentry.ledger.steps import load_scope

REPORT_BATCH = 1000  #: report rows per chunk, and per read of the store


# ── saved mappings ──────────────────────────────────────────────────────────
def save_import_mapping(
    ctx: Context, principal: Principal, name: str, spec: Mapping[str, str]
) -> SavedMapping:
    """Keep a column mapping under ``name`` in the group (replacing the one kept there)."""
    authorise(principal, Capability.IMPORT)
    mapping = parse_mapping(spec)  # invalid_mapping names the bad entry
    saved = SavedMapping(
        principal.group_id, _name(name), mapping.spec(), principal.id, ctx.clock.now()
    )
    with ctx.store.transaction() as tx:
        tx.put_import_mapping(saved)
        tx.commit()
    return saved


def list_import_mappings(ctx: Context, principal: Principal) -> list[SavedMapping]:
    """The group's saved mappings, by name."""
    authorise(principal, Capability.IMPORT)
    with ctx.store.transaction(write=False) as tx:
        return tx.list_import_mappings(principal.group_id)


def get_import_mapping(ctx: Context, principal: Principal, name: str) -> SavedMapping:
    """One saved mapping of the group, or ``import_mapping_not_found``."""
    authorise(principal, Capability.IMPORT)
    key = _name(name)
    with ctx.store.transaction(write=False) as tx:
        saved = tx.get_import_mapping(principal.group_id, key)
    if saved is None:
        raise ImportMappingNotFound(f"no saved mapping {key!r}", name=key)
    return saved


def _name(name: str) -> str:
    return limits.text(name, field="name", max_length=MAPPING_NAME).strip()


# ── a job ───────────────────────────────────────────────────────────────────
def check_import(ctx: Context, principal: Principal) -> None:
    """Refuse a caller who may not import at all, before an upload is read (``forbidden``)."""
    del ctx
    authorise(principal, Capability.IMPORT)


def start_import(
    ctx: Context,
    principal: Principal,
    scope_id: str | None = None,
    *,
    file_format: str,
    mapping: Mapping[str, str] | None = None,
    mapping_name: str | None = None,
    evidence: Mapping[str, Any] | None = None,
    dry_run: bool = False,
) -> ImportJob:
    """Record a job ``queued`` at ``scope_id`` (the group by default), with the mapping given
    or the one saved as ``mapping_name`` (exactly one of them)."""
    authorise(principal, Capability.IMPORT)
    if (mapping is None) == (mapping_name is None):
        raise InvalidMapping("give a mapping or the name of a saved one", field="mapping")
    if mapping_name is not None:
        mapping = get_import_mapping(ctx, principal, mapping_name).spec
    assert mapping is not None
    spec = parse_mapping(mapping).spec()
    canonical_evidence(evidence)  # what no event can keep is refused now, not in the job
    fmt = limits.text(file_format, field="format", max_length=limits.WORD)
    now = ctx.clock.now()
    with ctx.store.transaction() as tx:
        scope = load_scope(ctx, tx, principal, scope_id or principal.group_id)
        authorise(principal, Capability.IMPORT, scope.id)
        job = ImportJob(
            id=new_id("ij", now), group_id=principal.group_id, scope_id=scope.id,
            created_by=principal.id, created_at=now, status=JobStatus.QUEUED,
            file_format=fmt, mapping=spec, dry_run=dry_run,
            report=ImportReport(dry_run=dry_run), updated_at=now,
        )  # fmt: skip
        tx.add_import_job(job)
        tx.commit()
    return job


def run_import(
    ctx: Context,
    principal: Principal,
    job: ImportJob,
    rows: Iterable[Line],
    *,
    evidence: Mapping[str, Any] | None = None,
    spool: OutcomeSpool | None = None,
    batch_size: int = DEFAULT_BATCH,
) -> ImportJob:
    """Import a queued job's rows; the job as it ended (``done`` or ``failed``). A refusal ends
    it ``failed`` with its code; any other fault ``internal_error``, and is raised again."""
    progress = _Progress(ctx, _moved(ctx, job, JobStatus.RUNNING, (JobStatus.QUEUED,)))
    kept: OutcomeSpool = spool if spool is not None else MemorySpool()
    try:
        report = import_contacts(
            ctx, principal, rows, mapping=parse_mapping(job.mapping), scope_id=job.scope_id,
            evidence=evidence, dry_run=job.dry_run, batch_size=batch_size,
            on_batch=kept.keep if job.dry_run else progress.write,
        )  # fmt: skip
        if job.dry_run:  # its transaction has ended: now its outcomes can be written
            for outcomes in kept.batches():
                progress.write(outcomes)
    except ConsentryError as exc:
        return _ended(ctx, progress.job.failed(exc.code, exc.message, ctx.clock.now()))
    except Exception:
        fault = InternalError("the import stopped on an unexpected error")
        _ended(ctx, progress.job.failed(fault.code, fault.message, ctx.clock.now()))
        raise
    done = progress.job.moved(JobStatus.DONE, ctx.clock.now())
    return _ended(ctx, replace(done, report=report))


def get_import_job(ctx: Context, principal: Principal, job_id: str) -> ImportJob:
    """A job of the group at a scope within reach; one whose worker stopped is recorded
    ``failed`` with ``import_interrupted`` first."""
    authorise(principal, Capability.IMPORT)
    key = limits.text(job_id, field="job_id", max_length=limits.ID)
    with ctx.store.transaction(write=False) as tx:
        job = tx.get_import_job(principal.group_id, key)
    if job is None:
        raise ImportJobNotFound(f"no import job {key!r}", job_id=key)
    authorise(principal, Capability.IMPORT, job.scope_id)
    now = ctx.clock.now()
    if job.stale(now):
        message = "the server running the import stopped; import the same file again"
        job = _ended(ctx, job.failed(INTERRUPTED, message, now))
    return job


def import_report(
    ctx: Context,
    principal: Principal,
    job_id: str,
    *,
    format: str | ExportFormat = ExportFormat.CSV,
) -> Iterator[str]:
    """A job's per-row report so far, in line order: CSV (a header, every cell neutralised)
    or NDJSON, one chunk per ``REPORT_BATCH`` rows. The caller's right is checked at once."""
    fmt = parse_format(format)
    job = get_import_job(ctx, principal, job_id)
    return _report_chunks(ctx, job.id, fmt)


def _report_chunks(ctx: Context, job_id: str, fmt: ExportFormat) -> Iterator[str]:
    yield header(fmt, REPORT_COLUMNS)
    after = 0
    while True:
        with ctx.store.transaction(write=False) as tx:
            rows = tx.import_rows(job_id, after, REPORT_BATCH)
        if not rows:
            return
        yield encode(fmt, REPORT_COLUMNS, (report_record(r, fmt) for r in rows))
        after = rows[-1].line


# ── the worker's records ────────────────────────────────────────────────────
class MemorySpool:
    """A dry run's outcomes kept in memory (the library's default; the API keeps a file)."""

    def __init__(self) -> None:
        self.kept: list[Sequence[RowOutcome]] = []

    def keep(self, outcomes: Sequence[RowOutcome]) -> None:
        """Keep one batch."""
        self.kept.append(list(outcomes))

    def batches(self) -> Iterator[Sequence[RowOutcome]]:
        """The batches, in order."""
        return iter(self.kept)


class _Progress:
    """Writes each batch's rows and the counts so far, in a transaction of their own."""

    def __init__(self, ctx: Context, job: ImportJob) -> None:
        self.ctx = ctx
        self.job = job

    def write(self, outcomes: Sequence[RowOutcome]) -> None:
        report = replace(self.job.report, refusals=dict(self.job.report.refusals))
        counted(report, outcomes)  # kept only once written
        job = replace(self.job.moved(JobStatus.RUNNING, self.ctx.clock.now()), report=report)
        with self.ctx.store.transaction() as tx:
            tx.add_import_rows(job.id, outcomes)
            if not tx.update_import_job(job, (JobStatus.RUNNING,)):
                raise ImportInterrupted("the job was ended meanwhile", job_id=job.id)
            tx.commit()
        self.job = job


def _moved(ctx: Context, job: ImportJob, status: JobStatus, was: Sequence[JobStatus]) -> ImportJob:
    moved = job.moved(status, ctx.clock.now())
    with ctx.store.transaction() as tx:
        if not tx.update_import_job(moved, was):
            raise ImportInterrupted(f"the job is not {was[0].value}", job_id=job.id)
        tx.commit()
    return moved


def _ended(ctx: Context, job: ImportJob) -> ImportJob:
    """Record the job's end unless it ended already; the job as stored."""
    with ctx.store.transaction() as tx:
        if tx.update_import_job(job, ACTIVE):
            tx.commit()
            return job
        stored = tx.get_import_job(job.group_id, job.id)
    assert stored is not None  # jobs are never deleted
    return stored
