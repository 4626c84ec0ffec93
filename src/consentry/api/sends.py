"""Send reports, violations and the compliance report (SPEC §5; decision 079)."""

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
    After,
    Checked,
    Counted,
    Instant,
    ScopeText,
    Strict,
    in_range,
)
from consentry.core import limits
from consentry.core.channels import Channel
from consentry.core.compliance import ComplianceReport, HonourClock, Honouring, OptOutCount
from consentry.core.eligibility import Category, Reason
from consentry.core.errors import BatchTooLarge
from consentry.core.events import Action, Strength
from consentry.core.sends import MAX_BATCH, MAX_PAGE, SendOutcome, SendReport, SendStatus
from consentry.core.sends import Violation as CoreViolation
from consentry.ledger import Ledger

router = APIRouter(prefix="/v1", tags=["sends"], responses=COMMON_ERRORS)
SINCE = Query(description="From this time (inclusive).")
UNTIL = Query(description="Up to this time (exclusive).")


class SendIn(Strict):
    """One send: the contact as ``contact``, ``email`` or ``mobile`` (exactly one), the sender
    scope, the channel, the category, the sender's own ``message_id`` and when it was sent."""

    contact: Annotated[str | None, Checked(limits.ID)] = Field(default=None, max_length=64)
    email: Annotated[str | None, Checked(limits.EMAIL)] = None
    mobile: Annotated[str | None, Checked(limits.MOBILE)] = None
    channel: Annotated[Channel, WORD]
    scope: ScopeText = SCOPE
    category: Annotated[Category, WORD] = Category.MARKETING
    message_id: Annotated[str, Checked(limits.MESSAGE_ID)] = Field(
        min_length=1, examples=["SM5ef8732a3c49700934481addd5ce1659"]
    )
    sent_at: Instant

    def to_report(self) -> SendReport:
        """The core's send report."""
        return SendReport(
            message_id=self.message_id, channel=self.channel.value, scope_id=self.scope,
            sent_at=self.sent_at, category=self.category.value, contact_id=self.contact,
            email=self.email, mobile=self.mobile,
        )  # fmt: skip


class SendsIn(Strict):
    """Up to 1,000 sends; more are refused with ``batch_too_large``."""

    sends: Annotated[list[SendIn], Counted(MAX_BATCH, error=BatchTooLarge)] = Field(
        description=f"At most {MAX_BATCH:,} items."
    )


class SendOutcomeOut(BaseModel):
    """One send's answer: ``eligible``, ``violation`` (``reason`` and the deciding
    ``event_id``), or ``refused`` (``code``: nothing of it was recorded)."""

    message_id: str
    status: SendStatus
    contact_id: str | None
    reason: Reason | None
    event_id: str | None
    violation_id: str | None
    code: str | None
    message: str | None

    @classmethod
    def of(cls, outcome: SendOutcome) -> SendOutcomeOut:
        """The API shape of an answer."""
        return cls(
            message_id=outcome.message_id, status=outcome.status, contact_id=outcome.contact_id,
            reason=outcome.reason, event_id=outcome.event_id, violation_id=outcome.violation_id,
            code=outcome.code, message=outcome.message,
        )  # fmt: skip


class SendsOut(BaseModel):
    """One answer per send, in the order reported."""

    results: list[SendOutcomeOut]


class DecidingEventOut(BaseModel):
    """The ledger event a violation names as evidence."""

    id: str
    action: Action
    strength: Strength
    scope_id: str
    recorded_at: datetime


class ViolationOut(BaseModel):
    """A send that was not eligible when it was sent, why, and the event that decided it."""

    id: str
    contact_id: str
    message_id: str
    channel: Channel
    scope_id: str
    category: Category
    sent_at: datetime
    reason: Reason
    event: DecidingEventOut | None
    recorded_at: datetime

    @classmethod
    def of(cls, v: CoreViolation) -> ViolationOut:
        """The API shape of a violation."""
        event = None if v.event is None else DecidingEventOut(
            id=v.event.id, action=v.event.action, strength=v.event.strength,
            scope_id=v.event.scope_id, recorded_at=v.event.recorded_at,
        )  # fmt: skip
        return cls(
            id=v.id, contact_id=v.contact_id, message_id=v.message_id, channel=v.channel,
            scope_id=v.scope_id, category=v.category, sent_at=v.sent_at, reason=v.reason,
            event=event, recorded_at=v.recorded_at,
        )  # fmt: skip


class ViolationPage(BaseModel):
    """Violations, newest sent first; pass ``next`` as ``after`` for the next page."""

    violations: list[ViolationOut]
    next: str | None


class SendCountOut(BaseModel):
    """Sends and violations from one sender scope on one channel."""

    scope_id: str
    channel: Channel
    sends: int
    violations: int


class OptOutCountOut(BaseModel):
    """Opt-outs recorded at one scope on one channel, and how they were honoured."""

    scope_id: str
    channel: Channel
    clock: HonourClock | None
    opt_outs: int
    honoured_at_once: int
    exceeded: int
    longest_seconds: float

    @classmethod
    def of(cls, c: OptOutCount) -> OptOutCountOut:
        """The API shape of one row."""
        return cls(
            scope_id=c.scope_id, channel=c.channel, clock=c.clock, opt_outs=c.opt_outs,
            honoured_at_once=c.honoured_at_once, exceeded=c.exceeded,
            longest_seconds=c.longest.total_seconds(),
        )  # fmt: skip


class HonouringOut(BaseModel):
    """How long one opt-out took to be honoured (its last send it should have stopped)."""

    event_id: str
    contact_id: str
    channel: Channel
    scope_id: str
    strength: Strength
    recorded_at: datetime
    honoured_at: datetime
    took_seconds: float
    violations: int
    clock: HonourClock | None
    deadline: datetime | None
    exceeded: bool

    @classmethod
    def of(cls, h: Honouring) -> HonouringOut:
        """The API shape of one opt-out's honouring."""
        return cls(
            event_id=h.event_id, contact_id=h.contact_id, channel=h.channel,
            scope_id=h.scope_id, strength=h.strength, recorded_at=h.recorded_at,
            honoured_at=h.honoured_at, took_seconds=h.took.total_seconds(),
            violations=h.violations, clock=h.clock, deadline=h.deadline, exceeded=h.exceeded,
        )  # fmt: skip


class ComplianceReportOut(BaseModel):
    """The period's sends and violations per sender scope and channel, its opt-outs per scope
    and channel, and the opt-outs that sends came after (those past their clock first)."""

    since: datetime
    until: datetime
    sends: list[SendCountOut]
    opt_outs: list[OptOutCountOut]
    honouring: list[HonouringOut]
    exceeded: int
    truncated: bool

    @classmethod
    def of(cls, r: ComplianceReport) -> ComplianceReportOut:
        """The API shape of the report."""
        sends = [SendCountOut(scope_id=s.scope_id, channel=s.channel, sends=s.sends,
                              violations=s.violations) for s in r.sends]  # fmt: skip
        return cls(
            since=r.since, until=r.until, sends=sends,
            opt_outs=[OptOutCountOut.of(c) for c in r.opt_outs],
            honouring=[HonouringOut.of(h) for h in r.honouring], exceeded=len(r.exceeded),
            truncated=r.truncated,
        )  # fmt: skip


@router.post("/sends", response_model=SendsOut, responses=error_responses(409))
def report_sends(body: SendsIn, principal: PrincipalDep, idem: IdempotencyDep) -> Response:
    """Report what was sent: each send is judged against the ledger as it stood when it was
    sent, and recorded (a violation when it was not eligible). Reporting a message id again
    changes nothing and answers the same; the batch is written whole or not at all."""

    def report(ledger: Ledger) -> SendsOut:
        found = ledger.report_sends(principal, [s.to_report() for s in body.sends])
        return SendsOut(results=[SendOutcomeOut.of(o) for o in found])

    return idem.run(200, report)


@router.get("/violations", response_model=ViolationPage)
def list_violations(
    ledger: LedgerDep,
    principal: PrincipalDep,
    scope: Annotated[
        str | None,
        Query(description="Sends from this scope or below; the key's own by default."),
        Checked(limits.SCOPE_ID, field="scope"),
    ] = None,
    channel: Annotated[Channel | None, Checked(limits.WORD, field="channel")] = None,
    since: Annotated[AwareDatetime | None, SINCE, in_range(field="since")] = None,
    until: Annotated[AwareDatetime | None, UNTIL, in_range(field="until")] = None,
    after: After = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> ViolationPage:
    """Violations of sends from a scope, newest sent first, a page at a time."""
    found = ledger.violations(
        principal, scope_id=scope, channel=channel, since=since, until=until, after=after,
        limit=limit,
    )  # fmt: skip
    more = found[-1].id if len(found) == limit else None
    return ViolationPage(violations=[ViolationOut.of(v) for v in found], next=more)


@router.get("/compliance/report", response_model=ComplianceReportOut)
def compliance_report(
    ledger: LedgerDep,
    principal: PrincipalDep,
    since: Annotated[
        AwareDatetime | None,
        Query(description="Default: 30 days before `until`."),
        in_range(field="since"),
    ] = None,
    until: Annotated[
        AwareDatetime | None, Query(description="Default: now."), in_range(field="until")
    ] = None,
    scope: Annotated[
        str | None,
        Query(description="The key's own scope by default."),
        Checked(limits.SCOPE_ID, field="scope"),
    ] = None,
) -> ComplianceReportOut:
    """Per sender scope and channel: sends and violations; each opt-out's time to be honoured
    against its rule's clock (FCC: 10 business days; Gmail/Yahoo: 2 days)."""
    found = ledger.compliance_report(principal, since=since, until=until, scope_id=scope)
    return ComplianceReportOut.of(found)
