"""Consent changes, history and status at a moment, for one contact (SPEC §1, §2).

``source`` says through what the change came in. ``api`` (the default) records the key
itself as acting; a contact's own channels (``sms_keyword``, ``voice_keypad``,
``unsubscribe_link``, ``one_click``, ``preference_centre``, ``confirmation_link``) record the
contact as acting and need a sender key delivering the contact's own message or click, as the
contact can make it (decision 054): an opt-out through any of them that fits the channel
(``sms_keyword`` on texting channels, ``voice_keypad`` on voice, ``one_click`` on email), an
opt-in only as ``sms_keyword`` (their START), a website's "opt me back in" only as a
``request-confirmation``, and a ``confirm`` only with the signed confirmation link's token.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, Field

from consentry.api.deps import IdempotencyDep, LedgerDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS, error_responses
from consentry.api.schemas import (
    SCOPE,
    WORD,
    Checked,
    ContactId,
    EventOut,
    Evidence,
    Instant,
    ScopeText,
    Strict,
    in_range,
)
from consentry.core import limits
from consentry.core.channels import Channel
from consentry.core.events import Source
from consentry.core.status import Status
from consentry.ledger import Ledger

router = APIRouter(prefix="/v1/contacts/{contact_id}", tags=["consent"], responses=COMMON_ERRORS)
WRITE = error_responses(409)


class ChangeIn(Strict):
    """A consent change on one channel at one scope."""

    channel: Annotated[Channel, WORD]
    scope: ScopeText = SCOPE
    evidence: Evidence | None = Field(
        default=None,
        examples=[
            {
                "written_permission": "email",
                "given_at": "2026-01-02",
                "reference": "Email of 2026-01-02: 'Yes, text me offers.'",
            }
        ],
    )
    source: Annotated[Source, WORD] = Source.API


class OptInIn(ChangeIn):
    """An opt-in; staff and admins need a record of written permission (decision 056).

    ``evidence``: ``{"written_permission": "email" | "message" | "signed_form" | "document",
    "given_at": ISO date or time, "reference": text, "file_sha256"?: 64 hex digits}``.
    """

    occurred_at: Instant | None = None


class ResubscribeIn(ChangeIn):
    """Reverse a soft opt-out: admins only, with a reason and evidence."""

    reason: Annotated[str | None, Checked(limits.REASON)] = Field(
        default=None, max_length=64, examples=["mistaken_unsubscribe", "contact_asked"]
    )


class ConfirmIn(ChangeIn):
    """The contact's confirmation of an open request, delivered by a sender key.

    ``token`` is the signed confirmation link's token the contact followed (decision 054).
    """

    source: Annotated[Source, WORD] = Source.CONFIRMATION_LINK
    token: Annotated[str | None, Checked(limits.TOKEN)] = Field(default=None, max_length=4096)


class EventList(BaseModel):
    """A contact's events, oldest first."""

    events: list[EventOut]


class StatusAtOut(BaseModel):
    """Status at a moment at one scope, the effective status on the path, and why."""

    at: datetime
    status: Status
    event: EventOut | None
    effective: Status
    effective_scope_id: str | None
    effective_event: EventOut | None


@router.post("/consent/opt-in", status_code=201, response_model=EventOut, responses=WRITE)
def opt_in(
    contact_id: ContactId,
    body: OptInIn,
    principal: PrincipalDep,
    idem: IdempotencyDep,
) -> Response:
    """Opt in, with evidence of permission (seeds/000)."""
    return idem.run(
        201,
        lambda ledger: EventOut.of(
            ledger.opt_in(
                principal,
                contact_id,
                body.channel,
                body.scope,
                evidence=body.evidence,
                source=body.source,
                occurred_at=body.occurred_at,
            )
        ),
    )


@router.post("/consent/opt-out", status_code=201, response_model=EventOut, responses=WRITE)
def opt_out(
    contact_id: ContactId,
    body: ChangeIn,
    principal: PrincipalDep,
    idem: IdempotencyDep,
) -> Response:
    """Opt out: soft from an admin, hard when delivering the contact's own STOP or click."""
    return idem.run(
        201,
        lambda ledger: EventOut.of(
            ledger.opt_out(
                principal,
                contact_id,
                body.channel,
                body.scope,
                source=body.source,
                evidence=body.evidence,
            )
        ),
    )


@router.post("/consent/resubscribe", status_code=201, response_model=EventOut, responses=WRITE)
def resubscribe(
    contact_id: ContactId,
    body: ResubscribeIn,
    principal: PrincipalDep,
    idem: IdempotencyDep,
) -> Response:
    """Re-subscribe a soft opt-out, with a reason and evidence (seeds/002)."""
    return idem.run(
        201,
        lambda ledger: EventOut.of(
            ledger.resubscribe(
                principal,
                contact_id,
                body.channel,
                body.scope,
                reason=body.reason,
                evidence=body.evidence,
                source=body.source,
            )
        ),
    )


@router.post(
    "/consent/request-confirmation", status_code=201, response_model=EventOut, responses=WRITE
)
def request_confirmation(
    contact_id: ContactId,
    body: ChangeIn,
    principal: PrincipalDep,
    idem: IdempotencyDep,
) -> Response:
    """Start a double opt-in (pending), or deliver a contact's own opt-back-in request.

    A sender relaying a website's "opt me back in" button (``source`` preference_centre or
    unsubscribe_link) starts the confirmation flow: the request is recorded as the contact's
    and the opt-in confirmation message goes out; the status changes only when the contact
    follows its signed link (decision 054).
    """

    def run(ledger: Ledger) -> EventOut:
        event = ledger.request_confirmation(
            principal,
            contact_id,
            body.channel,
            body.scope,
            evidence=body.evidence,
            source=body.source,
        )
        if event.actor.is_contact:
            ledger.send_confirmation(contact_id, event.group_id, event.channel, event.scope_id)
        return EventOut.of(event)

    return idem.run(201, run)


@router.post("/consent/confirm", status_code=201, response_model=EventOut, responses=WRITE)
def confirm(
    contact_id: ContactId,
    body: ConfirmIn,
    principal: PrincipalDep,
    idem: IdempotencyDep,
) -> Response:
    """Deliver the contact's confirmation of an open request, with its link's token."""
    return idem.run(
        201,
        lambda ledger: EventOut.of(
            ledger.confirm(
                principal,
                contact_id,
                body.channel,
                body.scope,
                evidence=body.evidence,
                source=body.source,
                token=body.token,
            )
        ),
    )


@router.get("/events", response_model=EventList)
def history(
    contact_id: ContactId,
    ledger: LedgerDep,
    principal: PrincipalDep,
    channel: Annotated[Channel | None, Checked(limits.WORD, field="channel")] = None,
) -> EventList:
    """Every event of the contact the key may see, oldest first, with evidence."""
    events = ledger.history(principal, contact_id, channel=channel)
    return EventList(events=[EventOut.of(e) for e in events])


@router.get("/status", response_model=StatusAtOut)
def status_at(
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
) -> StatusAtOut:
    """What the status was at ``at`` (as recorded then), and which event set it."""
    moment = at or ledger.clock.now()
    found = ledger.status_at(principal, contact_id, channel, scope, at=moment)
    return StatusAtOut(
        at=moment,
        status=found.status,
        event=EventOut.of(found.event) if found.event else None,
        effective=found.effective,
        effective_scope_id=found.effective_scope_id,
        effective_event=EventOut.of(found.effective_event) if found.effective_event else None,
    )
