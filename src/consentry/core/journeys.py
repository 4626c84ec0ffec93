"""Journeys: triggered messages, the ones missed, re-sends and scheduled journeys (078).

A sender reports a journey message (welcome, birthday, any named journey) it was about to send
for a (contact, channel, scope). Consentry judges it as the ledger stood at ``triggered_at``
(the events recorded until then, ``situation_at``) with the eligibility table of
``core.eligibility`` and keeps the outcome:

    outcome   when                          webhook event
    sent      the decision allowed it        journey.triggered (scheduled journeys only)
    missed    it refused it: the reason and  journey.missed
              the deciding event are kept

An opt-in later never triggers a missed message again; staff may ask for a **re-send** once
per missed message, while the contact is eligible now (``journey.resend_requested``).

A **scheduled journey** (birthday-type) names a contact attribute holding a date: ``YYYY-MM-DD``
or ``MM-DD`` (``due_on``). A daily run records a journey message for each contact whose date
is the UTC day; 29 February falls on 28 February in a year without it. A value that is not such
a date is passed over. Enum values are stored strings: add, never rename or remove.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from consentry.core import limits
from consentry.core.channels import Channel
from consentry.core.eligibility import Category, Decision, Reason, Situation
from consentry.core.errors import Invalid
from consentry.core.events import ConsentEvent
from consentry.core.status import SUPPRESSION_ACTIONS, Consent, fold, outstanding, shown

PAGE = 50  #: missed messages on one page, by default
MAX_PAGE = 500  #: the most one page holds
_DATE = re.compile(r"(?:(\d{4})-)?(\d{2})-(\d{2})")


class Outcome(StrEnum):
    """What became of a reported journey message. Add, never rename or remove."""

    SENT = "sent"  #: eligible at ``triggered_at``: the sender sends it
    MISSED = "missed"  #: not eligible then: kept with the reason


@dataclass(frozen=True, slots=True, kw_only=True)
class Resend:
    """A staff member's request to send a missed message again."""

    requested_by: str
    requested_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class JourneyMessage:
    """One reported (or scheduled) journey message and how it was judged."""

    id: str
    group_id: str
    contact_id: str
    channel: Channel
    scope_id: str
    journey: str
    category: Category
    message_id: str  #: the sender's id (dedupe per contact); a scheduled run's ``<journey>:<day>``
    triggered_at: datetime
    outcome: Outcome
    reason: Reason
    decided_scope_id: str | None  #: the scope whose fact decided
    decided_event_id: str | None  #: the event that decided, when one did
    reported_by: str
    recorded_at: datetime
    scheduled_journey_id: str | None = None
    resend: Resend | None = None


@dataclass(frozen=True, slots=True)
class MissedFilter:
    """Which missed messages a list shows: the scope and below, a journey, a channel, a page
    (``after``: the last id of the previous page, newest first)."""

    scope_id: str
    journey: str | None = None
    channel: Channel | None = None
    contact_id: str | None = None
    after: str | None = None
    limit: int = PAGE


@dataclass(frozen=True, slots=True)
class MissedPage:
    """One page of missed messages, newest first; ``next`` continues it (None: the last)."""

    messages: tuple[JourneyMessage, ...]
    next: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduledJourney:
    """A birthday-type journey: each UTC day, the contacts whose ``attribute`` date is today."""

    id: str
    group_id: str
    scope_id: str
    name: str
    channel: Channel
    category: Category
    attribute: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RunReport:
    """What one scheduled run did: journeys run today, messages triggered and missed."""

    journeys: int = 0
    triggered: int = 0
    missed: int = 0


# ── input ──
def journey_name(value: str, *, field: str = "journey") -> str:
    """A journey's name: one line of text, stripped, not empty."""
    name = limits.text(value.strip(), field=field, max_length=limits.NAME)
    if not name:
        raise Invalid(f"{field} is empty", field=field)
    return name


def page_size(limit: int) -> int:
    """A page size between 1 and ``MAX_PAGE``."""
    return max(1, min(int(limit), MAX_PAGE))


# ── judging ──
def situation_at(
    channel: Channel, has_address: bool, events: list[ConsentEvent], path: tuple[str, ...]
) -> Situation:
    """The situation as the ledger stood after ``events`` (one channel's, in ledger order)."""
    consents: dict[str, Consent] = {
        sid: fold([e for e in events if e.scope_id == sid and e.action not in SUPPRESSION_ACTIONS])
        for sid in path
    }
    suppressions = outstanding([e for e in events if e.action in SUPPRESSION_ACTIONS])
    return Situation(channel, has_address, shown(suppressions), consents)


def outcome_of(decision: Decision) -> Outcome:
    """Sent when the decision allowed it, else missed."""
    return Outcome.SENT if decision.allowed else Outcome.MISSED


def notice_data(message: JourneyMessage) -> dict[str, str | int | bool | None]:
    """A journey webhook's data: ids, enums and ISO times only (no address, no name)."""
    resend = message.resend
    return {
        "journey_message_id": message.id,
        "contact_id": message.contact_id,
        "channel": message.channel.value,
        "scope": message.scope_id,
        "journey": message.journey,
        "category": message.category.value,
        "message_id": message.message_id,
        "triggered_at": message.triggered_at.isoformat(),
        "outcome": message.outcome.value,
        "reason": message.reason.value,
        "decided_event_id": message.decided_event_id,
        "scheduled_journey_id": message.scheduled_journey_id,
        "resend_requested_at": None if resend is None else resend.requested_at.isoformat(),
    }


# ── scheduled journeys ──
def due_on(value: Any, day: date) -> bool:
    """True when an attribute's date (``YYYY-MM-DD`` or ``MM-DD``) falls on ``day``.

    A 29 February date falls on 28 February in a year without one; anything else that is not
    a date of the year is never due.
    """
    if not isinstance(value, str):
        return False
    found = _DATE.fullmatch(value.strip())
    if found is None:
        return False
    month, dom = int(found.group(2)), int(found.group(3))
    if not 1 <= month <= 12 or not 1 <= dom <= calendar.monthrange(2000, month)[1]:
        return False
    if (month, dom) == (2, 29) and not calendar.isleap(day.year):
        dom = 28
    return (month, dom) == (day.month, day.day)


def run_message_id(journey_id: str, day: date) -> str:
    """The message id a scheduled run gives its messages: one per contact and day."""
    return f"{journey_id}:{day.isoformat()}"
