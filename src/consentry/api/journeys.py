"""Journeys: report a triggered journey message, see the missed ones, ask for a re-send, and
define scheduled (birthday-type) journeys (decision 078)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from consentry.api.deps import IdempotencyDep, LedgerDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS, error_responses
from consentry.api.idempotency import in_one_transaction
from consentry.api.schemas import (
    SCOPE,
    WORD,
    After,
    Checked,
    ContactId,
    Instant,
    ScopeText,
    Strict,
)
from consentry.core import limits
from consentry.core.channels import Channel
from consentry.core.eligibility import Category, Reason
from consentry.core.journeys import MAX_PAGE, PAGE, JourneyMessage, Outcome, ScheduledJourney
from consentry.core.journeys import MissedPage as Page
from consentry.ledger import Ledger

router = APIRouter(prefix="/v1", tags=["journeys"], responses=COMMON_ERRORS)
MessageId = Annotated[str, Checked(limits.ID, field="journey_message_id")]
JourneyId = Annotated[str, Checked(limits.ID, field="journey_id")]
Name = Annotated[str, Checked(limits.NAME)]


class JourneyMessageIn(Strict):
    """A journey message the sender was about to send (``triggered_at``: when the journey
    triggered it, now by default). The same ``message_id`` again for the contact changes
    nothing and answers as the first report did."""

    contact_id: ContactId
    channel: Annotated[Channel, WORD]
    scope: ScopeText = SCOPE
    journey: Name = Field(examples=["birthday"])
    message_id: Annotated[str, Checked(limits.MESSAGE_ID)] = Field(examples=["bday-2026-ct_1"])
    category: Annotated[Category, WORD] = Category.MARKETING
    triggered_at: Instant | None = None


class ResendOut(BaseModel):
    """Who asked for a re-send, and when."""

    requested_by: str
    requested_at: datetime


class JourneyMessageOut(BaseModel):
    """A journey message and how it was judged at ``triggered_at``: ``sent`` (send it) or
    ``missed`` (``reason`` and the deciding event kept)."""

    id: str
    contact_id: str
    channel: Channel
    scope_id: str
    journey: str
    category: Category
    message_id: str
    triggered_at: datetime
    outcome: Outcome
    reason: Reason
    decided_scope_id: str | None
    decided_event_id: str | None
    reported_by: str
    recorded_at: datetime
    scheduled_journey_id: str | None
    resend: ResendOut | None

    @classmethod
    def of(cls, m: JourneyMessage) -> JourneyMessageOut:
        """The API shape of a journey message."""
        r = m.resend
        resend = (
            None
            if r is None
            else ResendOut(requested_by=r.requested_by, requested_at=r.requested_at)
        )
        return cls(
            id=m.id, contact_id=m.contact_id, channel=m.channel, scope_id=m.scope_id,
            journey=m.journey, category=m.category, message_id=m.message_id,
            triggered_at=m.triggered_at, outcome=m.outcome, reason=m.reason,
            decided_scope_id=m.decided_scope_id, decided_event_id=m.decided_event_id,
            reported_by=m.reported_by, recorded_at=m.recorded_at,
            scheduled_journey_id=m.scheduled_journey_id, resend=resend,
        )  # fmt: skip


class MissedPage(BaseModel):
    """Missed messages, newest first; pass ``next`` as ``after`` for the next page."""

    messages: list[JourneyMessageOut]
    next: str | None

    @classmethod
    def of(cls, page: Page) -> MissedPage:
        """The API shape of a page."""
        return cls(messages=[JourneyMessageOut.of(m) for m in page.messages], next=page.next)


class ScheduledJourneyIn(Strict):
    """A birthday-type journey: every UTC day, each contact whose ``attribute`` holds today's
    date (``YYYY-MM-DD`` or ``MM-DD``; 29 February falls on the 28th in other years)."""

    scope: ScopeText = SCOPE
    name: Name = Field(examples=["Birthday"])
    channel: Annotated[Channel, WORD]
    attribute: Name = Field(examples=["birthday"])
    category: Annotated[Category, WORD] = Category.MARKETING


class ScheduledJourneyOut(BaseModel):
    """A scheduled journey."""

    id: str
    scope_id: str
    name: str
    channel: Channel
    category: Category
    attribute: str
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, j: ScheduledJourney) -> ScheduledJourneyOut:
        """The API shape of a scheduled journey."""
        return cls(
            id=j.id, scope_id=j.scope_id, name=j.name, channel=j.channel, category=j.category,
            attribute=j.attribute, created_by=j.created_by, created_at=j.created_at,
        )  # fmt: skip


class ScheduledJourneyList(BaseModel):
    """Scheduled journeys at and below the caller's scope."""

    journeys: list[ScheduledJourneyOut]


Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
JourneyFilter = Annotated[
    str | None, Query(description="Only this journey."), Checked(limits.NAME, field="journey")
]
ChannelFilter = Annotated[
    Channel | None, Query(description="Only this channel."), Checked(limits.WORD, field="channel")
]


@router.post(
    "/journey-messages", status_code=201, response_model=JourneyMessageOut,
    responses=error_responses(409),
)  # fmt: skip
def report_journey_message(
    body: JourneyMessageIn, principal: PrincipalDep, idem: IdempotencyDep
) -> Response:
    """Report a triggered journey message (senders): judged as the ledger stood then, kept as
    sent or missed; a missed one raises the webhook event ``journey.missed``."""

    def report(ledger: Ledger) -> JourneyMessageOut:
        found = ledger.report_journey_message(
            principal, body.contact_id, body.channel, body.scope, journey=body.journey,
            message_id=body.message_id, triggered_at=body.triggered_at, category=body.category,
        )  # fmt: skip
        return JourneyMessageOut.of(found)

    return idem.run(201, report)


@router.get("/journey-messages/missed", response_model=MissedPage)
def missed_messages(
    ledger: LedgerDep,
    principal: PrincipalDep,
    scope: Annotated[
        str | None,
        Query(description="At and below this scope; the caller's own by default."),
        Checked(limits.SCOPE_ID, field="scope"),
    ] = None,
    journey: JourneyFilter = None,
    channel: ChannelFilter = None,
    after: After = None,
    limit: Limit = PAGE,
) -> MissedPage:
    """Missed journey messages within the caller's reach, newest first (keyset pages)."""
    page = ledger.missed_messages(
        principal, scope_id=scope, journey=journey, channel=channel, after=after, limit=limit
    )
    return MissedPage.of(page)


@router.get("/contacts/{contact_id}/missed-messages", response_model=MissedPage)
def contact_missed_messages(
    contact_id: ContactId,
    ledger: LedgerDep,
    principal: PrincipalDep,
    journey: JourneyFilter = None,
    channel: ChannelFilter = None,
    after: After = None,
    limit: Limit = PAGE,
) -> MissedPage:
    """One contact's missed journey messages, newest first."""
    page = ledger.missed_messages(
        principal, contact_id=contact_id, journey=journey, channel=channel, after=after,
        limit=limit,
    )  # fmt: skip
    return MissedPage.of(page)


@router.get("/journey-messages/{journey_message_id}", response_model=JourneyMessageOut)
def get_journey_message(
    journey_message_id: MessageId, ledger: LedgerDep, principal: PrincipalDep
) -> JourneyMessageOut:
    """One journey message and how it was judged."""
    return JourneyMessageOut.of(ledger.get_journey_message(principal, journey_message_id))


@router.post(
    "/journey-messages/{journey_message_id}/resend", response_model=JourneyMessageOut,
    responses=error_responses(409),
)  # fmt: skip
def request_resend(
    journey_message_id: MessageId, principal: PrincipalDep, idem: IdempotencyDep
) -> Response:
    """Ask the sender to send a missed message again (once; the contact eligible now): the
    webhook event ``journey.resend_requested`` reaches it."""
    return idem.run(
        200,
        lambda ledger: JourneyMessageOut.of(ledger.request_resend(principal, journey_message_id)),
    )


@router.post(
    "/journeys", status_code=201, response_model=ScheduledJourneyOut,
    responses=error_responses(409),
)  # fmt: skip
def create_journey(
    body: ScheduledJourneyIn, principal: PrincipalDep, idem: IdempotencyDep
) -> Response:
    """Define a scheduled (birthday-type) journey at a scope (admins, within their scope)."""

    def create(ledger: Ledger) -> ScheduledJourneyOut:
        journey = ledger.create_journey(
            principal, body.scope, name=body.name, channel=body.channel,
            attribute=body.attribute, category=body.category,
        )  # fmt: skip
        return ScheduledJourneyOut.of(journey)

    return idem.run(201, create)


@router.get("/journeys", response_model=ScheduledJourneyList)
def list_journeys(ledger: LedgerDep, principal: PrincipalDep) -> ScheduledJourneyList:
    """Scheduled journeys at and below the caller's scope."""
    found = ledger.list_journeys(principal)
    return ScheduledJourneyList(journeys=[ScheduledJourneyOut.of(j) for j in found])


@router.get("/journeys/{journey_id}", response_model=ScheduledJourneyOut)
def get_journey(
    journey_id: JourneyId, ledger: LedgerDep, principal: PrincipalDep
) -> ScheduledJourneyOut:
    """One scheduled journey."""
    return ScheduledJourneyOut.of(ledger.get_journey(principal, journey_id))


@router.delete("/journeys/{journey_id}", response_model=ScheduledJourneyOut)
def delete_journey(journey_id: JourneyId, ledger: LedgerDep, principal: PrincipalDep) -> Response:
    """Stop a scheduled journey (the messages it recorded stay)."""
    return in_one_transaction(
        ledger, principal, 200,
        lambda led: ScheduledJourneyOut.of(led.delete_journey(principal, journey_id)),
    )  # fmt: skip
