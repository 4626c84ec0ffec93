"""Exports (viewer and up): the group's contacts, their consents and the ledger as CSV or NDJSON,
streamed (SPEC §2, §7; docs/export.md, docs/decisions/068).

``GET /v1/exports/contacts``, ``/v1/exports/consents`` and ``/v1/exports/ledger`` answer with a
file (``Content-Disposition: attachment``) written while it is sent: memory stays flat at any
size. The first chunk is made before the answer starts, so a refusal or an unavailable database
is still an ordinary error answer; once the file has started, it runs to its end.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from consentry.api.deps import LedgerDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS
from consentry.api.schemas import Checked, Instant
from consentry.core import limits
from consentry.core.exports import ExportFormat

router = APIRouter(prefix="/v1/exports", tags=["exports"], responses=COMMON_ERRORS)

MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.NDJSON: "application/x-ndjson",
}

FormatQuery = Annotated[
    ExportFormat,
    Query(
        description="`csv` (a header line, every cell quoted) or `ndjson` (a JSON object a line)."
    ),
    Checked(limits.WORD, field="format"),
]


def _file(description: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI answer of an export: a file in either format."""
    content = {media: {"schema": {"type": "string"}} for media in MEDIA_TYPES.values()}
    return {200: {"description": description, "content": content}}


@router.get(
    "/contacts",
    response_class=StreamingResponse,
    responses=_file(
        "One record per contact, in id order: id, external_id, email, mobile, name, locale, "
        "postal_address, push_token, lists, attributes, created_at, erased_at, then "
        "`<channel>_status` per enabled channel (what a marketing send from the key's scope "
        "would get)."
    ),
)
def export_contacts(
    ledger: LedgerDep, principal: PrincipalDep, format: FormatQuery = ExportFormat.CSV
) -> StreamingResponse:
    """Every contact of the group with its status per channel."""
    chunks = ledger.export_contacts(principal, format=format)
    return _streamed(chunks, format, _name(principal.group_id, "contacts", format))


@router.get(
    "/consents",
    response_class=StreamingResponse,
    responses=_file(
        "One record per consent the key may see (contact_id, channel, scope_id, status, since, "
        "event_id, confirm_until), and per suppression (scope_id null), in contact order."
    ),
)
def export_consents(
    ledger: LedgerDep, principal: PrincipalDep, format: FormatQuery = ExportFormat.CSV
) -> StreamingResponse:
    """Every consent at the key's scope, below it and above it, and every suppression."""
    chunks = ledger.export_consents(principal, format=format)
    return _streamed(chunks, format, _name(principal.group_id, "consents", format))


@router.get(
    "/ledger",
    response_class=StreamingResponse,
    responses=_file(
        "One record per event the key may see, in (contact_id, seq) order, with every stored "
        "field (evidence text, its salt and commitment, prev_hash, hash) to verify it again."
    ),
)
def export_ledger(
    ledger: LedgerDep,
    principal: PrincipalDep,
    format: FormatQuery = ExportFormat.CSV,
    since: Annotated[
        Instant | None, Query(description="Only events recorded at or after this time.")
    ] = None,
) -> StreamingResponse:
    """The ledger itself: every event, its evidence and its place in the contact's chain."""
    chunks = ledger.export_ledger(principal, format=format, since=since)
    return _streamed(chunks, format, _name(principal.group_id, "ledger", format))


def _name(group_id: str, what: str, format: ExportFormat) -> str:
    """The file's name: ``acme-contacts.csv`` (a group id is a slug: safe in a header)."""
    return f"{group_id}-{what}.{format.value}"


def _streamed(chunks: Iterator[str], format: ExportFormat, name: str) -> StreamingResponse:
    """The chunks as an attachment; the first is made now, so its errors get an error answer."""
    first = next(chunks, "")
    body = (c.encode() for c in chain([first], chunks))
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(body, media_type=MEDIA_TYPES[format], headers=headers)
