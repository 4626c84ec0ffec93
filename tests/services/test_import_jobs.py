"""Import jobs and saved column mappings (issue 11; decision 071), on both databases: a job from
queued to done with its per-row report, the dry run, refusals and faults, the interrupted rule."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from consentry.adapters.clock import FixedClock
from consentry.adapters.import_files import FileFormat, Line, read_rows
from consentry.core.errors import (
    Forbidden,
    ImportInterrupted,
    ImportJobNotFound,
    ImportMappingNotFound,
    Invalid,
    InvalidEvidence,
    InvalidMapping,
    OutOfScope,
    ScopeNotFound,
)
from consentry.core.import_jobs import (
    DRY_RUN_STALE_AFTER,
    STALE_AFTER,
    ImportJob,
    JobStatus,
    report_of,
    report_text,
)
from consentry.core.imports import ImportReport, Outcome, RowOutcome, parse_mapping
from consentry.ledger import Ledger
from consentry.ledger import import_jobs as jobs
from tests.factories import WRITTEN, admin, count_rows, sql, staff, system, viewer

SPEC = {"Email": "email", "Name": "name", "SMS": "consent:sms", "Phone": "mobile"}
CSV = (
    "Email,Name,SMS,Phone\n"
    "ada@example.com,Ada,yes,+447700900123\n"
    'bob@example.com,=HYPERLINK("http://x"),no,\n'
    "not-an-email,Cy,,\n"
)


def rows_of(text: str = CSV) -> Iterator[Line]:
    return read_rows(io.StringIO(text), FileFormat.CSV, parse_mapping(SPEC))


def started(ledger: Ledger, *, dry_run: bool = False, scope: str | None = None) -> ImportJob:
    return ledger.start_import(
        admin(), scope, file_format="csv", mapping=SPEC, evidence=WRITTEN, dry_run=dry_run
    )


def run(ledger: Ledger, job: ImportJob, rows: Iterator[Line] | None = None) -> ImportJob:
    return ledger.run_import(admin(), job, rows_of() if rows is None else rows, evidence=WRITTEN)


def report(ledger: Ledger, job: ImportJob, fmt: str = "ndjson") -> str:
    return "".join(ledger.import_report(admin(), job.id, format=fmt))


# ── saved mappings ──────────────────────────────────────────────────────────
def test_a_saved_mapping_is_kept_replaced_listed_and_read_by_name(ledger: Ledger) -> None:
    saved = ledger.save_import_mapping(admin(), "crm", {"E-mail": " email ", "SMS": "consent:SMS"})
    assert saved.spec == {"E-mail": "email", "SMS": "consent:sms"}  # as parse_mapping reads it
    ledger.save_import_mapping(admin("acme/events"), "crm", SPEC)  # the group's: replaced
    ledger.save_import_mapping(admin(), "another", {"Phone": "mobile"})
    assert [m.name for m in ledger.list_import_mappings(admin())] == ["another", "crm"]
    crm = ledger.get_import_mapping(admin(), "crm")
    assert crm.spec == SPEC and crm.created_by == "admin@acme/events"
    assert ledger.list_import_mappings(admin("globex")) == []


def test_a_bad_mapping_is_not_saved_and_an_unknown_name_is_not_found(ledger: Ledger) -> None:
    with pytest.raises(InvalidMapping) as bad:
        ledger.save_import_mapping(admin(), "crm", {"Email": "e-mail"})
    assert bad.value.code == "invalid_mapping"
    ledger.save_import_mapping(admin(), "crm", SPEC)
    with pytest.raises(ImportMappingNotFound) as missing:
        ledger.get_import_mapping(admin("globex"), "crm")  # another group's
    assert missing.value.code == "import_mapping_not_found"


@pytest.mark.parametrize("who", [staff(), viewer()], ids=["staff", "viewer"])
def test_only_importers_may_save_read_or_start(ledger: Ledger, who) -> None:
    calls = (
        lambda: ledger.save_import_mapping(who, "crm", SPEC),
        lambda: ledger.list_import_mappings(who),
        lambda: ledger.get_import_mapping(who, "crm"),
        lambda: ledger.check_import(who),
        lambda: ledger.start_import(who, file_format="csv", mapping=SPEC),
    )
    for call in calls:
        with pytest.raises(Forbidden) as refused:
            call()
        assert refused.value.code == "forbidden"


# ── starting a job ──────────────────────────────────────────────────────────
def test_a_job_starts_queued_with_a_saved_mapping_used_by_name(ledger: Ledger) -> None:
    ledger.save_import_mapping(admin(), "crm", SPEC)
    ledger.check_import(admin())  # an importer passes the early check
    job = ledger.start_import(admin(), "acme/events", file_format="csv", mapping_name="crm")
    assert (job.status, job.scope_id, job.mapping, job.rows_read) == (
        JobStatus.QUEUED, "acme/events", SPEC, 0,
    )  # fmt: skip
    assert job.id.startswith("ij_") and job.created_by == "admin@acme"
    assert ledger.get_import_job(admin(), job.id) == job


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({}, InvalidMapping),
        ({"mapping": SPEC, "mapping_name": "crm"}, InvalidMapping),
        ({"mapping": {"Name": "name"}}, InvalidMapping),  # nothing to find a contact by
        ({"mapping_name": "nope"}, ImportMappingNotFound),
        ({"mapping": SPEC, "evidence": {"n": float("nan")}}, InvalidEvidence),
    ],
    ids=["neither", "both", "no-identifier", "unknown-name", "bad-evidence"],
)
def test_a_job_is_refused_before_it_starts(ledger: Ledger, options, error) -> None:
    with pytest.raises(error) as refused:
        ledger.start_import(admin(), file_format="csv", **options)
    assert refused.value.code == error.code
    assert sql(ledger, "SELECT count(*) FROM import_jobs") == [(0,)]


def test_a_job_at_a_scope_out_of_reach_or_unknown_is_refused(ledger: Ledger) -> None:
    with pytest.raises(OutOfScope) as out:
        ledger.start_import(
            admin("acme/newsletters"), "acme/events", file_format="csv", mapping=SPEC
        )
    assert out.value.code == "out_of_scope"
    with pytest.raises(ScopeNotFound) as unknown:
        ledger.start_import(admin(), "acme/nowhere", file_format="csv", mapping=SPEC)
    assert unknown.value.code == "scope_not_found"


# ── running it ──────────────────────────────────────────────────────────────
def test_a_job_imports_its_rows_and_keeps_each_rows_outcome(ledger: Ledger, monkeypatch) -> None:
    monkeypatch.setattr(jobs, "REPORT_BATCH", 2)  # the report is read in pages
    job = ledger.run_import(admin(), started(ledger), rows_of(), evidence=WRITTEN, batch_size=2)
    assert job.status is JobStatus.DONE and job.finished_at is not None and job.error_code is None
    counts = job.report
    assert (counts.rows, counts.created, counts.refused, counts.batches) == (3, 2, 1, 2)
    assert counts.refusals == {"invalid_email": 1} and counts.opted_in == 1
    assert ledger.get_import_job(admin(), job.id) == job
    lines = [json.loads(line) for line in report(ledger, job).splitlines()]
    assert [(r["line"], r["outcome"], r["code"]) for r in lines] == [
        (2, "created", None), (3, "created", None), (4, "refused", "invalid_email"),
    ]  # fmt: skip
    assert lines[0]["changes"] == ["opted_in:sms"] and lines[2]["contact_id"] is None
    ada = ledger.find_contact(admin(), email="ada@example.com")
    assert lines[0]["contact_id"] == ada.id


def test_the_reports_csv_is_neutralised_for_spreadsheets(ledger: Ledger) -> None:
    job = run(ledger, started(ledger))
    head, *rows = report(ledger, job, "csv").splitlines()
    assert head == '"line","outcome","contact_id","changes","code","message"'
    assert rows[1].startswith('"3","created","ct_') and rows[1].endswith('"opted_out:sms","",""')
    refusal = RowOutcome(5, Outcome.REFUSED, code="invalid", message="=cmd|'/c calc'!A1")
    with ledger.store.transaction() as tx:
        tx.add_import_rows(job.id, [refusal])
        tx.commit()
    last = report(ledger, job, "csv").splitlines()[-1]
    assert last.endswith('"invalid","\'=cmd|\'/c calc\'!A1"')  # the formula shown as text


def test_a_dry_run_job_writes_no_contact_and_reports_every_row(ledger: Ledger) -> None:
    before = count_rows(ledger)
    job = run(ledger, started(ledger, dry_run=True))
    assert count_rows(ledger) == before
    assert job.status is JobStatus.DONE and job.dry_run and job.report.dry_run
    assert (job.report.created, job.report.refused) == (2, 1)
    assert [json.loads(x)["outcome"] for x in report(ledger, job).splitlines()] == [
        "created", "created", "refused",
    ]  # fmt: skip


def test_a_refusal_of_the_whole_file_ends_the_job_failed_with_its_code(ledger: Ledger) -> None:
    def broken() -> Iterator[Line]:
        yield from rows_of("Email,Name,SMS,Phone\nada@example.com,Ada,yes,\n")
        raise Invalid("the file is not UTF-8 text", field="file")

    job = ledger.run_import(admin(), started(ledger), broken(), evidence=WRITTEN, batch_size=1)
    assert (job.status, job.error_code) == (JobStatus.FAILED, "invalid")
    assert job.error_message == "the file is not UTF-8 text"
    assert job.rows_read == 1  # the batch before it was committed, and is reported
    assert ledger.get_import_job(admin(), job.id) == job


def test_a_fault_ends_the_job_as_an_internal_error_and_is_raised_again(ledger: Ledger) -> None:
    def faulty() -> Iterator[Line]:
        raise RuntimeError("disk on fire")
        yield  # a generator

    job = started(ledger)
    with pytest.raises(RuntimeError):
        run(ledger, job, faulty())
    stored = ledger.get_import_job(admin(), job.id)
    assert (stored.status, stored.error_code) == (JobStatus.FAILED, "internal_error")


# ── the interrupted rule ────────────────────────────────────────────────────
@pytest.mark.parametrize(
    ("dry_run", "window"), [(False, STALE_AFTER), (True, DRY_RUN_STALE_AFTER)], ids=["run", "dry"]
)
def test_a_job_not_updated_for_too_long_reads_as_interrupted(
    ledger: Ledger, clock: FixedClock, dry_run: bool, window: timedelta
) -> None:
    job = started(ledger, dry_run=dry_run)
    start = clock.now()
    clock.set(start + window)
    assert ledger.get_import_job(admin(), job.id).status is JobStatus.QUEUED  # not yet
    clock.set(start + window + timedelta(seconds=1))
    failed = ledger.get_import_job(admin(), job.id)
    assert (failed.status, failed.error_code) == (JobStatus.FAILED, "import_interrupted")
    assert failed.finished_at == clock.now()
    assert ledger.get_import_job(admin(), job.id) == failed  # recorded, not derived each time
    with pytest.raises(ImportInterrupted) as late:  # its worker, should it wake, does nothing
        run(ledger, job)
    assert late.value.code == "import_interrupted"
    assert count_rows(ledger)["contacts"] == 0


def test_a_worker_whose_job_was_declared_interrupted_stops_after_its_batch(
    ledger: Ledger, clock: FixedClock
) -> None:
    job = started(ledger)

    def slow() -> Iterator[Line]:
        rows = list(rows_of())
        yield rows[0]
        clock.set(clock.now() + STALE_AFTER * 2)  # the worker stalls; someone polls
        assert ledger.get_import_job(admin(), job.id).error_code == "import_interrupted"
        yield from rows[1:]

    ended = ledger.run_import(admin(), job, slow(), evidence=WRITTEN, batch_size=1)
    assert (ended.status, ended.error_code) == (JobStatus.FAILED, "import_interrupted")
    assert ended.rows_read == 1  # the first batch's record; the second's rows were not kept
    assert [json.loads(x)["line"] for x in report(ledger, ended).splitlines()] == [2]
    assert count_rows(ledger)["contacts"] == 2  # ... though that batch's contacts committed


# ── who sees a job ──────────────────────────────────────────────────────────
def test_a_job_is_seen_only_within_its_group_and_scope(ledger: Ledger) -> None:
    job = started(ledger, scope="acme/events")
    assert ledger.get_import_job(system(), job.id).id == job.id
    with pytest.raises(ImportJobNotFound) as other:
        ledger.get_import_job(admin("globex"), job.id)
    assert other.value.code == "import_job_not_found"
    with pytest.raises(OutOfScope) as out:
        ledger.import_report(admin("acme/newsletters"), job.id)
    assert out.value.code == "out_of_scope"
    with pytest.raises(Forbidden):
        ledger.get_import_job(staff(), job.id)


# ── the counts, as kept ─────────────────────────────────────────────────────
def test_a_jobs_counts_read_back_as_they_were_written() -> None:
    counts = ImportReport(dry_run=True, rows=7, created=3, refused=2, events=4, batches=2)
    counts.refusals = {"invalid_email": 1, "contact_erased": 1}
    again = report_of(report_text(counts), dry_run=True)
    assert again == counts
