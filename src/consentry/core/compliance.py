"""The compliance report: sends and violations, and how long each opt-out took to be honoured
against the rules' clocks (SPEC §5; decision 079).

The clocks (``/work/shared/research/perf-reliability.md``):

    channel             clock                       the rule
    sms, mms, voice     10 business days            FCC 24-18, 47 CFR 64.1200(a)(10): honour a
                                                    revocation within 10 business days
    email               2 days (48 hours)           Gmail and Yahoo bulk senders (Feb 2024):
                                                    "process and honor unsubscribe requests
                                                    within 48 hours" (Yahoo: 2 days)
    rcs, whatsapp,      none                        no rule with a clock named for them here;
    post, push                                      the time is shown, never "exceeded"

A **business day** is Monday to Friday in UTC, with no holiday calendar (a deployment that
needs one asks for it; none is guessed). ``business_deadline`` counts from the opt-out: one
from a weekend counts from the next Monday 00:00 UTC; each business day keeps the time of day
and skips Saturday and Sunday (Monday 09:00 + 10 = the Monday two weeks on, 09:00).

An opt-out is **honoured** at the last reported send it should have stopped (the violations
that name it as their deciding event), or at once when there is none. The time it took runs
from when Consentry recorded it (``recorded_at``), the moment from which every eligibility
check refused: sends before then were not judged violations and are not counted here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from consentry.core.channels import Channel
from consentry.core.events import Strength

MAX_LISTED = 500  #: opt-outs the report lists with their honouring (``truncated`` beyond)
DEFAULT_PERIOD = timedelta(days=30)  #: a report with no ``since`` covers this long
SATURDAY = 5


class HonourClock(StrEnum):
    """The rule that sets how soon an opt-out must be honoured. Add, never rename or remove."""

    FCC_10_BUSINESS_DAYS = "fcc_10_business_days"
    BULK_SENDER_2_DAYS = "bulk_sender_2_days"


CLOCKS: dict[Channel, HonourClock] = {
    Channel.SMS: HonourClock.FCC_10_BUSINESS_DAYS,
    Channel.MMS: HonourClock.FCC_10_BUSINESS_DAYS,
    Channel.VOICE: HonourClock.FCC_10_BUSINESS_DAYS,
    Channel.EMAIL: HonourClock.BULK_SENDER_2_DAYS,
}
BUSINESS_DAYS = 10
BULK_SENDER_WINDOW = timedelta(days=2)


def business_deadline(start: datetime, days: int) -> datetime:
    """``days`` business days (Monday to Friday, UTC, no holidays) after ``start``."""
    moment = start
    if moment.weekday() >= SATURDAY:  # from a weekend: the next Monday 00:00
        monday = moment.date() + timedelta(days=7 - moment.weekday())
        moment = datetime.combine(monday, time(0), tzinfo=start.tzinfo)
    left = days
    while left > 0:
        moment += timedelta(days=1)
        if moment.weekday() < SATURDAY:
            left -= 1
    return moment


def deadline(channel: Channel, recorded_at: datetime) -> datetime | None:
    """By when an opt-out on ``channel`` recorded at ``recorded_at`` must be honoured."""
    clock = CLOCKS.get(channel)
    if clock is HonourClock.FCC_10_BUSINESS_DAYS:
        return business_deadline(recorded_at, BUSINESS_DAYS)
    if clock is HonourClock.BULK_SENDER_2_DAYS:
        return recorded_at + BULK_SENDER_WINDOW
    return None


@dataclass(frozen=True, slots=True)
class SendCount:
    """Sends and violations from one sender scope on one channel in the period."""

    scope_id: str
    channel: Channel
    sends: int
    violations: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ViolatedOptOut:
    """An opt-out that reported sends came after, as the store reads it."""

    event_id: str
    contact_id: str
    channel: Channel
    scope_id: str
    strength: Strength
    recorded_at: datetime
    last_sent_at: datetime
    violations: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Honouring:
    """How long one opt-out took to be honoured, against its channel's clock."""

    event_id: str
    contact_id: str
    channel: Channel
    scope_id: str
    strength: Strength
    recorded_at: datetime
    honoured_at: datetime
    violations: int  #: sends after it that it should have stopped
    clock: HonourClock | None
    deadline: datetime | None

    @property
    def took(self) -> timedelta:
        """From its recording to the last send it should have stopped."""
        return self.honoured_at - self.recorded_at

    @property
    def exceeded(self) -> bool:
        """True when it was honoured after its clock ran out."""
        return self.deadline is not None and self.honoured_at > self.deadline


@dataclass(frozen=True, slots=True, kw_only=True)
class OptOutCount:
    """The opt-outs recorded at one scope on one channel in the period, and their honouring."""

    scope_id: str
    channel: Channel
    clock: HonourClock | None
    opt_outs: int
    honoured_at_once: int
    exceeded: int
    longest: timedelta


@dataclass(frozen=True, slots=True, kw_only=True)
class ComplianceReport:
    """Per sender scope and channel: sends and violations; per opt-out scope and channel: the
    opt-outs and their honouring; and the opt-outs that sends came after (exceeded first)."""

    since: datetime
    until: datetime
    sends: tuple[SendCount, ...]
    opt_outs: tuple[OptOutCount, ...]
    honouring: tuple[Honouring, ...]
    truncated: bool  #: more opt-outs had sends after them than ``MAX_LISTED``

    @property
    def exceeded(self) -> tuple[Honouring, ...]:
        """The opt-outs honoured after their clock ran out."""
        return tuple(h for h in self.honouring if h.exceeded)


def honouring(found: ViolatedOptOut) -> Honouring:
    """An opt-out with sends after it, measured against its channel's clock."""
    return Honouring(
        event_id=found.event_id, contact_id=found.contact_id, channel=found.channel,
        scope_id=found.scope_id, strength=found.strength, recorded_at=found.recorded_at,
        honoured_at=max(found.last_sent_at, found.recorded_at), violations=found.violations,
        clock=CLOCKS.get(found.channel), deadline=deadline(found.channel, found.recorded_at),
    )  # fmt: skip


def report(
    since: datetime,
    until: datetime,
    sends: Iterable[SendCount],
    opt_outs: Iterable[tuple[str, Channel, int]],
    violated: Iterable[ViolatedOptOut],
    *,
    limit: int = MAX_LISTED,
) -> ComplianceReport:
    """The report from the store's counts: sends per (scope, channel), opt-outs per (scope,
    channel, count), and the opt-outs sends came after (at most ``limit`` listed)."""
    measured = sorted(
        (honouring(v) for v in violated), key=lambda h: (not h.exceeded, -h.took, h.event_id)
    )
    counts = []
    for scope_id, channel, count in sorted(opt_outs):
        mine = [h for h in measured if (h.scope_id, h.channel) == (scope_id, channel)]
        counts.append(OptOutCount(
            scope_id=scope_id, channel=channel, clock=CLOCKS.get(channel), opt_outs=count,
            honoured_at_once=count - len(mine), exceeded=sum(h.exceeded for h in mine),
            longest=max((h.took for h in mine), default=timedelta(0)),
        ))  # fmt: skip
    return ComplianceReport(
        since=since, until=until, sends=tuple(sorted(sends, key=lambda s: (s.scope_id, s.channel))),
        opt_outs=tuple(counts), honouring=tuple(measured[:limit]), truncated=len(measured) > limit,
    )  # fmt: skip
