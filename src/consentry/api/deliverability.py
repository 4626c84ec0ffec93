"""Bounces and complaints from senders; an admin's decision to lift one (seeds/003)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import Field

from consentry.api.deps import IdempotencyDep, LedgerDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS, error_responses
from consentry.api.schemas import EventOut, Evidence, Strict
from consentry.core.channels import Channel

router = APIRouter(
    prefix="/v1/contacts/{contact_id}", tags=["deliverability"], responses=COMMON_ERRORS
)
WRITE = error_responses(409)


class ReportIn(Strict):
    """A delivery report on one channel, with what the provider said."""

    channel: Channel
    evidence: Evidence | None = Field(default=None, examples=[{"smtp": "550 5.1.1 unknown"}])


@router.post("/bounces", status_code=201, response_model=EventOut, responses=WRITE)
def report_bounce(
    contact_id: str,
    body: ReportIn,
    ledger: LedgerDep,
    principal: PrincipalDep,
    idem: IdempotencyDep,
) -> Response:
    """A hard bounce or invalid number: suppressed on that channel, opt-ins or not."""
    return idem.run(
        201,
        lambda: EventOut.of(
            ledger.record_bounce(principal, contact_id, body.channel, evidence=body.evidence)
        ),
    )


@router.post("/complaints", status_code=201, response_model=EventOut, responses=WRITE)
def report_complaint(
    contact_id: str,
    body: ReportIn,
    ledger: LedgerDep,
    principal: PrincipalDep,
    idem: IdempotencyDep,
) -> Response:
    """A spam complaint: suppressed on that channel."""
    return idem.run(
        201,
        lambda: EventOut.of(
            ledger.record_complaint(principal, contact_id, body.channel, evidence=body.evidence)
        ),
    )


@router.post("/suppressions/clear", status_code=201, response_model=EventOut, responses=WRITE)
def clear_suppression(
    contact_id: str,
    body: ReportIn,
    ledger: LedgerDep,
    principal: PrincipalDep,
    idem: IdempotencyDep,
) -> Response:
    """An admin's recorded decision to lift a bounce or complaint (evidence required)."""
    return idem.run(
        201,
        lambda: EventOut.of(
            ledger.clear_suppression(principal, contact_id, body.channel, evidence=body.evidence)
        ),
    )
