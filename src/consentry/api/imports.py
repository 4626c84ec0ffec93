"""Imports over the API: saved column mappings, and an import as a job (issue 11; decision 071).

``POST /v1/imports`` takes the file as ``multipart/form-data`` (streamed to a spool file, never
held in memory), checks what can be checked before a row is read (the caller's right, the
mapping, the CSV header, the evidence), records the job and answers ``202`` with it and its
``Location``; a background thread imports it (``import_runner.py``). ``GET /v1/imports/{id}``
polls its status and counts, ``GET /v1/imports/{id}/report`` streams its per-row report.
``PUT /v1/import-mappings/{name}`` keeps a mapping to reuse by ``mapping_name``. Keys with the
``import`` capability (admins) only, at the key's scope; another group's job is not found.
"""

from __future__ import annotations

import json
from datetime import datetime
from itertools import chain
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, BeforeValidator, Field
from starlette.concurrency import run_in_threadpool

from consentry.adapters.import_files import FileFormat
from consentry.api.deps import IdempotencyKey, LedgerDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS, error_responses
from consentry.api.exports import MEDIA_TYPES, FormatQuery
from consentry.api.idempotency import Idempotency, fingerprint, in_one_transaction
from consentry.api.import_runner import ImportRunner, Upload, check_header
from consentry.api.schemas import Checked, Strict
from consentry.core import limits
from consentry.core.errors import Invalid, InvalidEvidence, InvalidMapping, PayloadTooLarge
from consentry.core.exports import ExportFormat
from consentry.core.import_jobs import MAPPING_NAME, ImportJob, SavedMapping
from consentry.core.permissions import Principal
from consentry.ledger import Ledger

router = APIRouter(tags=["imports"], responses=COMMON_ERRORS)
UPLOAD_PATH = "/v1/imports"
MappingName = Annotated[str, Checked(MAPPING_NAME, field="name")]
JobId = Annotated[str, Checked(limits.ID, field="job_id")]
TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")


def _bounded(value: Any) -> Any:
    """A mapping's JSON, bounded as evidence is (``invalid_mapping`` with its reason)."""
    if isinstance(value, dict):
        limits.bounded_json(value, field="mapping", error=InvalidMapping, max_bytes=MAX_MAPPING)
    return value


MAX_MAPPING = 64 * 1024  #: bytes of one mapping's JSON (as much as an event's evidence)


class MappingIn(Strict):
    """A column mapping to keep: column name → target (``email``, ``consent:sms`` …)."""

    mapping: Annotated[
        dict[str, Annotated[str, Checked(limits.NAME)]], BeforeValidator(_bounded)
    ] = Field(examples=[{"Email": "email", "SMS": "consent:sms", "Plan": "attribute:plan"}])


class MappingOut(BaseModel):
    """A saved column mapping."""

    name: str
    mapping: dict[str, str]
    created_by: str
    updated_at: datetime

    @classmethod
    def of(cls, saved: SavedMapping) -> MappingOut:
        """The API shape of a saved mapping."""
        return cls(
            name=saved.name, mapping=dict(saved.spec), created_by=saved.created_by,
            updated_at=saved.updated_at,
        )  # fmt: skip


class MappingList(BaseModel):
    """The group's saved mappings, by name."""

    mappings: list[MappingOut]


class CountsOut(BaseModel):
    """What the rows did so far (decision 070's ``ImportReport``)."""

    rows: int
    created: int
    updated: int
    unchanged: int
    refused: int
    opted_in: int
    opted_out: int
    events: int
    batches: int
    refusals: dict[str, int] = Field(description="Refused rows by error code.")


class JobError(BaseModel):
    """Why a job failed: a stable code (``import_interrupted``, ``invalid`` …) and a message."""

    code: str
    message: str


class JobOut(BaseModel):
    """An import job: what it imports, where it is, and what its rows did so far."""

    id: str
    status: str = Field(description="queued, running, done or failed.")
    scope_id: str
    format: FileFormat
    mapping: dict[str, str]
    dry_run: bool
    rows_read: int
    counts: CountsOut
    error: JobError | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    report: str = Field(description="Where its per-row report is.")

    @classmethod
    def of(cls, job: ImportJob) -> JobOut:
        """The API shape of a job."""
        r = job.report
        counts = CountsOut(
            rows=r.rows, created=r.created, updated=r.updated, unchanged=r.unchanged,
            refused=r.refused, opted_in=r.opted_in, opted_out=r.opted_out, events=r.events,
            batches=r.batches, refusals=dict(sorted(r.refusals.items())),
        )  # fmt: skip
        error = None
        if job.error_code is not None:
            error = JobError(code=job.error_code, message=job.error_message or "")
        return cls(
            id=job.id, status=job.status.value, scope_id=job.scope_id,
            format=FileFormat(job.file_format), mapping=dict(job.mapping), dry_run=job.dry_run,
            rows_read=job.rows_read, counts=counts, error=error, created_by=job.created_by,
            created_at=job.created_at, updated_at=job.updated_at, finished_at=job.finished_at,
            report=f"{UPLOAD_PATH}/{job.id}/report",
        )  # fmt: skip


# ── saved mappings ──────────────────────────────────────────────────────────
@router.put("/v1/import-mappings/{name}", response_model=MappingOut)
def save_mapping(
    name: MappingName, body: MappingIn, ledger: LedgerDep, principal: PrincipalDep
) -> Response:
    """Keep a column mapping under a name in the group, replacing the one there (admins)."""
    return in_one_transaction(
        ledger,
        principal,
        200,
        lambda led: MappingOut.of(led.save_import_mapping(principal, name, body.mapping)),
    )


@router.get("/v1/import-mappings", response_model=MappingList)
def list_mappings(ledger: LedgerDep, principal: PrincipalDep) -> MappingList:
    """The group's saved mappings (admins)."""
    return MappingList(mappings=[MappingOut.of(m) for m in ledger.list_import_mappings(principal)])


@router.get("/v1/import-mappings/{name}", response_model=MappingOut)
def get_mapping(name: MappingName, ledger: LedgerDep, principal: PrincipalDep) -> MappingOut:
    """One saved mapping (admins); ``404 import_mapping_not_found``."""
    return MappingOut.of(ledger.get_import_mapping(principal, name))


# ── jobs ────────────────────────────────────────────────────────────────────
FORM = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "CSV or NDJSON, UTF-8."},
        "scope": {"type": "string", "description": "Where consent is recorded (the group)."},
        "format": {"type": "string", "enum": ["csv", "ndjson"], "description": "Default: "
                   "from the file's name (.csv, .ndjson, .jsonl)."},
        "mapping": {"type": "string", "description": 'A JSON object: {"Email": "email", …}.'},
        "mapping_name": {"type": "string", "description": "Or the name of a saved mapping."},
        "evidence": {"type": "string", "description": "A JSON object: the file's record of "
                     "written permission (written_permission, given_at, reference …)."},
        "dry_run": {"type": "boolean", "description": "Judge every row; write nothing."},
    },
}  # fmt: skip


@router.post(
    UPLOAD_PATH,
    status_code=202,
    response_model=JobOut,
    responses=error_responses(409),
    openapi_extra={
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": FORM}}}
    },
)
async def start_import(
    request: Request,
    ledger: LedgerDep,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Upload a file to import (admins): ``202`` with the job and its ``Location``; poll it.
    The whole body is at most ``CONSENTRY_IMPORT_MAX_BYTES`` (413 ``payload_too_large``)."""
    runner: ImportRunner = request.app.state.imports
    await run_in_threadpool(ledger.check_import, principal)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > runner.max_bytes:
        message = f"an import is at most {runner.max_bytes:,} bytes"
        raise PayloadTooLarge(message, limit=runner.max_bytes)
    spool = await run_in_threadpool(runner.spool)
    try:
        upload = Upload(spool, runner.max_bytes)
        await upload.read(request.headers.get("content-type", ""), request.stream())
        response, job, evidence = await run_in_threadpool(
            _start, ledger, principal, upload, idempotency_key, request.url.path
        )
    except BaseException:
        spool.close()
        raise
    if job is None:
        spool.close()  # a replay, or a refusal: nothing to run
    else:
        runner.start(principal, job, spool, evidence)
    if response.status_code == 202:
        response.headers["Location"] = f"{UPLOAD_PATH}/{json.loads(bytes(response.body))['id']}"
    return response


def _start(
    ledger: Ledger, principal: Principal, upload: Upload, key: str | None, path: str
) -> tuple[Response, ImportJob | None, dict[str, Any] | None]:
    """Check the form and the file's header, then record the job (once per Idempotency-Key)."""
    fields = upload.fields
    fmt = _format(fields.get("format"), upload.filename or "")
    spec = _mapping(ledger, principal, fields.get("mapping"), fields.get("mapping_name"))
    evidence = _object(fields.get("evidence"), "evidence", InvalidEvidence)
    dry_run = _flag(fields.get("dry_run"))
    check_header(upload.spool, fmt, spec)
    started: list[ImportJob] = []

    def command(led: Ledger) -> JobOut:
        job = led.start_import(
            principal, fields.get("scope") or None, file_format=fmt.value, mapping=spec,
            evidence=evidence, dry_run=dry_run,
        )  # fmt: skip
        started.append(job)
        return JobOut.of(job)

    print_ = fingerprint("POST", path, upload.fingerprint())
    response = Idempotency(ledger, principal, key, print_).run(202, command)
    job = started[0] if started and response.status_code == 202 else None
    return response, job, evidence


def _format(value: str | None, filename: str) -> FileFormat:
    text = (value or "").strip().lower()
    if not text:
        suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        text = {"csv": "csv", "ndjson": "ndjson", "jsonl": "ndjson"}.get(suffix, "")
    try:
        return FileFormat(text)
    except ValueError:
        message = "format is csv or ndjson (or name the file .csv or .ndjson)"
        raise Invalid(message, field="format") from None


def _mapping(
    ledger: Ledger, principal: Principal, text: str | None, name: str | None
) -> dict[str, Any]:
    if (text is None) == (name is None):
        raise InvalidMapping("give mapping (a JSON object) or mapping_name", field="mapping")
    if name is not None:
        return dict(ledger.get_import_mapping(principal, name).spec)
    return _object(text, "mapping", InvalidMapping) or {}


def _object(text: str | None, field: str, error: type[Invalid]) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise error(f"{field} is not JSON text", field=field) from None
    if not isinstance(value, dict):
        raise error(f"{field} is a JSON object", field=field)
    return value


def _flag(text: str | None) -> bool:
    value = (text or "").strip().lower()
    if value not in TRUE + FALSE:
        raise Invalid("dry_run is true or false", field="dry_run")
    return value in TRUE


@router.get(UPLOAD_PATH + "/{job_id}", response_model=JobOut)
def get_import(job_id: JobId, ledger: LedgerDep, principal: PrincipalDep) -> JobOut:
    """A job's status, rows read and counts so far (admins); ``404 import_job_not_found``."""
    return JobOut.of(ledger.get_import_job(principal, job_id))


@router.get(
    UPLOAD_PATH + "/{job_id}/report",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One record per row so far, in line order: line, outcome "
            "(created, updated, unchanged, refused), contact_id, changes, code, message.",
            "content": {media: {"schema": {"type": "string"}} for media in MEDIA_TYPES.values()},
        }
    },
)
def import_report(
    job_id: JobId,
    ledger: LedgerDep,
    principal: PrincipalDep,
    format: FormatQuery = ExportFormat.CSV,
) -> StreamingResponse:
    """A job's per-row report, streamed: CSV (every cell neutralised) or NDJSON."""
    chunks = ledger.import_report(principal, job_id, format=format)
    first = next(chunks, "")
    body = (c.encode() for c in chain([first], chunks))
    name = f"{principal.group_id}-import-{job_id}.{format.value}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(body, media_type=MEDIA_TYPES[format], headers=headers)
