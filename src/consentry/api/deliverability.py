"""Bounces and complaints from senders; an admin's decision to lift one (seeds/003).

A complaint is also the contact's own hard opt-out on that channel at the group (decision 053);
lifting names the suppression it lifts (decision 057).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import Field

from consentry.api.deps import IdempotencyDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS, error_responses
from consentry.api.schemas import WORD, ContactId, EventOut, Evidence, Strict
from consentry.core.channels import Channel
from consentry.core.status import Suppression

router = APIRouter(
    prefix="/v1/contacts/{contact_id}", tags=["deliverability"], responses=COMMON_ERRORS
)
WRITE = error_responses(409)


class ReportIn(Strict):
    """A delivery report on one channel, with what the provider said."""

    channel: Annotated[Channel, WORD]
    evidence: Evidence | None = Field(default=None, examples=[{"smtp": "550 5.1.1 unknown"}])


class ClearIn(ReportIn):
    """An admin's decision to lift the named suppression on one channel, with evidence."""

    suppression: Annotated[Suppression, WORD] = Field(examples=["bounced", "complained"])
    evidence: Evidence | None = Field(
        default=None, examples=[{"ticket": "#812: the contact's mailbox works again"}]
    )


@router.post("/bounces", status_code=201, response_model=EventOut, responses=WRITE)
def report_bounce(
    contact_id: ContactId,
    body: ReportIn,
    principal: PrincipalDep,
    idem: IdempotencyDep,
) -> Response:
    """A hard bounce or invalid number: suppressed on that channel, opt-ins or not."""
    return idem.run(
        201,
        lambda ledger: EventOut.of(
            ledger.record_bounce(principal, contact_id, body.channel, evidence=body.evidence)
        ),
    )


@router.post("/complaints", status_code=201, response_model=EventOut, responses=WRITE)
def report_complaint(
    contact_id: ContactId,
    body: ReportIn,
    principal: PrincipalDep,
    idem: IdempotencyDep,
) -> Response:
    """A spam complaint: suppressed on that channel, and the contact's hard opt-out."""
    return idem.run(
        201,
        lambda ledger: EventOut.of(
            ledger.record_complaint(principal, contact_id, body.channel, evidence=body.evidence)
        ),
    )


@router.post("/suppressions/clear", status_code=201, response_model=EventOut, responses=WRITE)
def clear_suppression(
    contact_id: ContactId,
    body: ClearIn,
    principal: PrincipalDep,
    idem: IdempotencyDep,
) -> Response:
    """An admin's recorded decision to lift the named bounce or complaint (with evidence)."""
    return idem.run(
        201,
        lambda ledger: EventOut.of(
            ledger.clear_suppression(
                principal,
                contact_id,
                body.channel,
                suppression=body.suppression,
                evidence=body.evidence,
            )
        ),
    )
