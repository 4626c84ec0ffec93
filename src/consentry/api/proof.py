"""Proof of consent for one contact, and the answer at a past moment (SPEC §7; decision 069).

The same document three ways (``?format=``): JSON (``consentry-proof/v1``, docs/proof.md), an
HTML page a lawyer can read, and a PDF of that page. Viewer and up; a contact of another group
is ``contact_not_found``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AwareDatetime

from consentry.adapters import proof_document
from consentry.adapters.proof_document import Document
from consentry.api.deps import LedgerDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS
from consentry.api.schemas import Checked, ContactId, in_range
from consentry.core import limits
from consentry.core.channels import Channel
from consentry.core.eligibility import Category

router = APIRouter(prefix="/v1/contacts/{contact_id}", tags=["proof"], responses=COMMON_ERRORS)


class ProofFormat(StrEnum):
    """How the document is answered. Add, never rename or remove."""

    JSON = "json"
    HTML = "html"
    PDF = "pdf"


#: The top-level members of every JSON document (docs/proof.md has the whole shape).
MEMBERS = [
    "format", "kind", "generated_at", "generated_by", "contact", "verdict", "chain", "status",
    "suppressions", "events", "withheld_events", "how_to_check",
]  # fmt: skip

DOCUMENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The document: JSON (default), an HTML page, or a PDF of that page.",
        "content": {
            "application/json": {
                "schema": {"type": "object", "required": MEMBERS, "additionalProperties": True}
            },
            "text/html": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}

FormatQuery = Annotated[
    ProofFormat,
    Query(alias="format", description="json, html or pdf."),
    Checked(limits.WORD, field="format"),
]


@router.get("/proof", response_class=Response, responses=DOCUMENT)
def proof(
    contact_id: ContactId,
    ledger: LedgerDep,
    principal: PrincipalDep,
    answer_as: FormatQuery = ProofFormat.JSON,
) -> Response:
    """Proof of consent (GDPR Art. 7(1), 15): every event with its evidence, who recorded it
    and how, the current status, and the chain proof (the chain recomputed, its head, and the
    group digest it is part of)."""
    return answer(ledger.proof_of_consent(principal, contact_id), answer_as)


@router.get("/proof/eligibility", response_class=Response, responses=DOCUMENT)
def eligibility_proof(
    contact_id: ContactId,
    ledger: LedgerDep,
    principal: PrincipalDep,
    channel: Annotated[Channel, Checked(limits.WORD, field="channel")],
    scope: Annotated[
        str, Query(min_length=1, max_length=200), Checked(limits.SCOPE_ID, field="scope")
    ],
    at: Annotated[
        AwareDatetime | None, Query(description="Default: now."), in_range(field="at")
    ] = None,
    category: Annotated[Category, Checked(limits.WORD, field="category")] = Category.MARKETING,
    answer_as: FormatQuery = ProofFormat.JSON,
) -> Response:
    """Was this contact allowed to receive this message at ``at``, and why: the answer, the
    status then, the deciding event and the events before it, with the chain proof."""
    moment: datetime = at or ledger.clock.now()
    found = ledger.eligibility_proof(
        principal, contact_id, channel=channel, scope_id=scope, at=moment, category=category
    )
    return answer(found, answer_as)


def answer(document: Document, answer_as: ProofFormat) -> Response:
    """The document in the format asked for; the HTML under its own CSP (an inline style)."""
    if answer_as is ProofFormat.HTML:
        headers = {"Content-Security-Policy": proof_document.csp()}
        return Response(proof_document.to_html(document), media_type="text/html", headers=headers)
    if answer_as is ProofFormat.PDF:
        name = proof_document.file_name(document, "pdf")
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(proof_document.to_pdf(document), media_type="application/pdf",
                        headers=headers)  # fmt: skip
    return Response(proof_document.to_json(document), media_type="application/json")
