"""Send reports and violations: was this send eligible when it was sent? (SPEC §5; decision 079)

A sender reports what it sent (``SendReport``): the contact (its id, or an email address or
mobile number), the channel, the sender scope, the category, its own message id and when it
was sent. Consentry judges it against the ledger **as it stood at** ``sent_at``: the events
recorded until then, folded as the projection was (``judge``), and decided by the same table
as every eligibility check (``eligibility.decide``). A send that was not eligible is a
``Violation``, with the reason and the deciding event (the STOP, the bounce …) as evidence.

    judged at ``sent_at``           the events recorded (``recorded_at``) at or before it
    the address                     taken as there (a send went to it): never ``no_address``
    bounced / complained            the suppressions outstanding then; the event that set it
    transactional                   the group's transactional policy as it is now (075)

One report per (group, message id): reporting it again changes nothing and answers the same;
the same message id with another contact, channel, scope, category or time is refused
(``send_conflict``). All enum values are stored strings: add, never rename or remove.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from consentry.core.channels import Channel, ChannelPolicy
from consentry.core.eligibility import Category, Decision, Reason, Situation, decide
from consentry.core.events import Action, ConsentEvent, Strength
from consentry.core.status import Consent, fold, outstanding, shown
from consentry.core.webhooks import EventType, Notice

MAX_BATCH = 1000  #: sends one report holds (``batch_too_large`` above)
MAX_PAGE = 1000  #: the most violations one read returns
CLOCK_SKEW = timedelta(minutes=5)  #: how far after Consentry's now a ``sent_at`` may lie


class SendStatus(StrEnum):
    """How one reported send was answered. Add, never rename or remove."""

    ELIGIBLE = "eligible"  #: it was eligible when sent
    VIOLATION = "violation"  #: it was not: a violation is recorded
    REFUSED = "refused"  #: nothing recorded (unknown contact, scope out of reach …): ``code``


@dataclass(frozen=True, slots=True, kw_only=True)
class SendReport:
    """One send as a sender reports it: ``contact_id``, or ``email``, or ``mobile``."""

    message_id: str
    channel: str
    scope_id: str
    sent_at: datetime
    category: str = Category.MARKETING.value
    contact_id: str | None = None
    email: str | None = None
    mobile: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Send:
    """A recorded send and its judgment (``violation_id`` set when it was a violation)."""

    id: str
    group_id: str
    message_id: str
    contact_id: str
    channel: Channel
    scope_id: str
    category: Category
    sent_at: datetime
    reported_at: datetime
    reported_by: str
    reason: Reason
    event_id: str | None
    violation_id: str | None

    @property
    def status(self) -> SendStatus:
        """Eligible or a violation."""
        return SendStatus.ELIGIBLE if self.violation_id is None else SendStatus.VIOLATION

    def same_send(self, contact_id: str, channel: Channel, scope_id: str, category: Category,
                  sent_at: datetime) -> bool:  # fmt: skip
        """True when a report names this very send again."""
        mine = (self.contact_id, self.channel, self.scope_id, self.category, self.sent_at)
        return mine == (contact_id, channel, scope_id, category, sent_at)


@dataclass(frozen=True, slots=True)
class DecidingEvent:
    """The ledger event a violation names as evidence, as the report shows it."""

    id: str
    action: Action
    strength: Strength
    scope_id: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Violation:
    """A send that was not eligible when it was sent, why, and the event that decided it."""

    id: str
    group_id: str
    contact_id: str
    message_id: str
    channel: Channel
    scope_id: str
    category: Category
    sent_at: datetime
    reason: Reason
    event: DecidingEvent | None
    recorded_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SendOutcome:
    """The answer to one reported send, in the order reported."""

    message_id: str
    status: SendStatus
    contact_id: str | None = None
    reason: Reason | None = None
    event_id: str | None = None
    violation_id: str | None = None
    code: str | None = None  #: a refusal's stable error code
    message: str | None = None

    @classmethod
    def of(cls, send: Send) -> SendOutcome:
        """The answer for a recorded send (the first report's, on every repeat)."""
        return cls(
            message_id=send.message_id, status=send.status, contact_id=send.contact_id,
            reason=send.reason, event_id=send.event_id, violation_id=send.violation_id,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ViolationFilter:
    """Which violations to read: sends from ``scope_id`` or below, sent in ``[since, until)``,
    on one channel or all, newest first after the violation ``after``."""

    scope_id: str
    channel: Channel | None = None
    since: datetime | None = None
    until: datetime | None = None
    after: str | None = None
    limit: int = 100


def judge(
    events: Iterable[ConsentEvent],
    channel: Channel,
    path: tuple[str, ...],
    category: Category,
    at: datetime,
    policy: ChannelPolicy,
) -> Decision:
    """Eligibility of a send at ``at``, from one contact's events on ``channel`` (ledger
    order): those recorded by ``at`` folded per scope of ``path``, and its suppressions."""
    known = [e for e in events if e.recorded_at <= at]
    consents: Mapping[str, Consent] = {
        scope_id: fold([e for e in known if e.scope_id == scope_id]) for scope_id in path
    }
    suppression = shown(outstanding(known))
    situation = Situation(channel, True, suppression, consents)
    decision = decide(situation, path, category, at, policy)
    if suppression is None or decision.reason.value != suppression.value:
        return decision
    kind = Action(suppression.value)  # bounced, complained: the action that sets it
    setter = next(e.id for e in reversed(known) if e.action is kind)
    return replace(decision, event_id=setter)


def notice(violation: Violation) -> Notice:
    """The ``violation.recorded`` webhook notice: ids, enums and times only."""
    return Notice(
        id=violation.id, kind=EventType.VIOLATION_RECORDED, group_id=violation.group_id,
        scope_id=violation.scope_id, at=violation.recorded_at,
        data={
            "violation_id": violation.id, "contact_id": violation.contact_id,
            "message_id": violation.message_id, "channel": violation.channel.value,
            "category": violation.category.value, "sent_at": violation.sent_at.isoformat(),
            "reason": violation.reason.value,
            "event_id": None if violation.event is None else violation.event.id,
        },
    )  # fmt: skip
