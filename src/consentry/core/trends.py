"""Trends: subscribed and unsubscribed totals per channel, the change against last month, a daily
series, and spikes in unsubscribes (SPEC §6; seeds/002; docs/decisions/066).

Trends count **subscriptions**, the projection's rows (contact x channel x scope): a row is
*subscribed* while its status is ``opted_in`` and *unsubscribed* while it is a soft or hard
opt-out (pending and none are neither). Every consent event adds its ``TrendDelta`` to the counts
of its (group, scope, channel, UTC day), in the transaction that appends it (``delta``), so a
reader sums a few rows per day instead of counting contacts:

=====================  ==========================================================
value                  how it is found
=====================  ==========================================================
total now              the sum of every delta (a day after today counts as today)
total at end of        that, minus the deltas of this UTC calendar month
last month
change %               (now - then) / then x 100, one decimal (half up); "new" when
                       then is 0 and now is not; 0 when both are 0
a day's total          the total now, minus the deltas of the days after it
a spike                a day whose opt-outs are > 3 x the median of the 28 days
                       before it, and at least 10; a day without events is 0
=====================  ==========================================================

The page warns of any spike in the last 7 days, today included.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from consentry.core.channels import Channel
from consentry.core.events import Action
from consentry.core.status import Status

EPOCH_DAY = date(1970, 1, 1)
MAX_DAYS = 730  #: the longest series one read returns (two years)
SPIKE_FACTOR = 3  #: a spike has more than this many times the usual opt-outs …
SPIKE_MINIMUM = 10  #: … and at least this many
BASELINE_DAYS = 28  #: the usual is the median of this many days before the day
RECENT_DAYS = 7  #: the page warns of a spike in this many last days


def day_number(moment: datetime) -> int:
    """The UTC day of an aware instant, as days since 1970-01-01 (how ``trend_days`` keys it)."""
    return (moment.astimezone(UTC).date() - EPOCH_DAY).days


def day_date(number: int) -> date:
    """The date of a day number."""
    return EPOCH_DAY + timedelta(days=number)


# ── what one event adds to its day's counts ──
@dataclass(frozen=True, slots=True)
class TrendDelta:
    """How one event moves the counts of its (group, scope, channel, day)."""

    subscribed: int = 0
    unsubscribed: int = 0
    opt_outs: int = 0

    def __bool__(self) -> bool:
        """True when it changes anything (only then is a row written)."""
        return bool(self.subscribed or self.unsubscribed or self.opt_outs)


def subscribed(status: Status) -> bool:
    """A subscription counts as subscribed while it is opted in."""
    return status is Status.OPTED_IN


def delta(before: Status, after: Status, action: Action) -> TrendDelta | None:
    """What an event that moves a row from ``before`` to ``after`` adds; None: nothing.

    Every ``opted_out`` event counts as an opt-out of its day, also one that leaves the status
    as it was (a soft opt-out under the contact's own hard one).
    """
    change = TrendDelta(
        subscribed=int(subscribed(after)) - int(subscribed(before)),
        unsubscribed=int(after.is_opt_out) - int(before.is_opt_out),
        opt_outs=int(action is Action.OPTED_OUT),
    )
    return change if change else None


# ── the arithmetic ──
class Direction(StrEnum):
    """Which way a total moved against last month. Add, never rename or remove."""

    UP = "up"
    DOWN = "down"
    SAME = "same"


def change_percent(now: int, then: int) -> Decimal | None:
    """(now - then) / then x 100 to one decimal, half up; None ("new") when only now has any."""
    if then == 0:
        return None if now else Decimal("0.0")
    exact = Decimal(now - then) * 100 / Decimal(then)
    return exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Versus:
    """A total now against the same total at the end of last month."""

    now: int
    then: int

    @property
    def percent(self) -> Decimal | None:
        """The change in %, one decimal; None when it is new (nothing at the end of last month)."""
        return change_percent(self.now, self.then)

    @property
    def direction(self) -> Direction:
        """Up, down or the same."""
        if self.now == self.then:
            return Direction.SAME
        return Direction.UP if self.now > self.then else Direction.DOWN


def usual(counts: Sequence[int]) -> float:
    """The median of some days' opt-outs (0 for none)."""
    return float(statistics.median(counts)) if counts else 0.0


def is_spike(count: int, before: Sequence[int]) -> bool:
    """True when a day's opt-outs are at least 10 and more than 3 x the median of ``before``."""
    return count >= SPIKE_MINIMUM and count > SPIKE_FACTOR * usual(before)


@dataclass(frozen=True, slots=True)
class Spike:
    """A day whose opt-outs spiked, and the usual (the median of the 28 days before it)."""

    day: date
    opt_outs: int
    usual: float


def spikes(opt_outs: Mapping[int, int], days: Iterable[int]) -> tuple[Spike, ...]:
    """The spikes among ``days`` (day numbers), given each day's opt-outs (absent: 0)."""
    found = []
    for day in days:
        count = opt_outs.get(day, 0)
        before = [opt_outs.get(d, 0) for d in range(day - BASELINE_DAYS, day)]
        if is_spike(count, before):
            found.append(Spike(day_date(day), count, usual(before)))
    return tuple(found)


# ── what the store gives, and what a reader gets ──
@dataclass(frozen=True, slots=True)
class TrendRow:
    """The summed counts of one channel and day at a scope and below (``Tx.trend_days``)."""

    channel: Channel
    day: int
    subscribed: int
    unsubscribed: int
    opt_outs: int


@dataclass(frozen=True, slots=True)
class TrendDay:
    """One day of the series: the totals at its end, and its opt-outs."""

    day: date
    subscribed: int
    unsubscribed: int
    opt_outs: int


@dataclass(frozen=True, slots=True)
class ChannelTrend:
    """One channel's totals against last month, its daily series and its spikes."""

    channel: Channel
    subscribed: Versus
    unsubscribed: Versus
    series: tuple[TrendDay, ...]
    spikes: tuple[Spike, ...]  #: the spikes of the series' days
    recent_spikes: tuple[Spike, ...]  #: the spikes of the last 7 days: the page warns


@dataclass(frozen=True, slots=True)
class Trends:
    """The trends at a scope and below, per channel of the deployment, up to ``today``."""

    scope_id: str
    today: date
    days: int
    channels: tuple[ChannelTrend, ...]

    @property
    def warnings(self) -> list[tuple[Channel, Spike]]:
        """Every spike of the last 7 days, by channel."""
        return [(c.channel, s) for c in self.channels for s in c.recent_spikes]


def month_start(today: int) -> int:
    """The first day of today's UTC calendar month."""
    return (day_date(today).replace(day=1) - EPOCH_DAY).days


def first_day_read(today: int, days: int) -> int:
    """The first day a reader needs by itself: the series' and the last week's, with the 28
    days before them (spikes), and this month (the total at the end of last month)."""
    return min(today - max(days, RECENT_DAYS) + 1 - BASELINE_DAYS, month_start(today))


def trends_of(
    rows: Iterable[TrendRow],
    *,
    scope_id: str,
    channels: Iterable[Channel],
    today: int,
    days: int,
) -> Trends:
    """The trends from the store's rows (every day before those needed may come summed as one)."""
    by_channel: dict[Channel, dict[int, TrendRow]] = {c: {} for c in channels}
    for row in rows:
        if row.channel in by_channel:
            _add(by_channel[row.channel], row, today)
    found = tuple(_channel(c, by_day, today, days) for c, by_day in by_channel.items())
    return Trends(scope_id, day_date(today), days, found)


def _add(by_day: dict[int, TrendRow], row: TrendRow, today: int) -> None:
    """Sum ``row`` into its day (a day after today, another server's clock, is today's)."""
    day = min(row.day, today)
    had = by_day.get(day, TrendRow(row.channel, day, 0, 0, 0))
    by_day[day] = TrendRow(
        row.channel, day, had.subscribed + row.subscribed, had.unsubscribed + row.unsubscribed,
        had.opt_outs + row.opt_outs,
    )  # fmt: skip


def _channel(channel: Channel, by_day: dict[int, TrendRow], today: int, days: int) -> ChannelTrend:
    rows = by_day.values()
    sub_now = sum(r.subscribed for r in rows)
    unsub_now = sum(r.unsubscribed for r in rows)
    first = month_start(today)
    this_month = [r for r in rows if r.day >= first]
    sub_then = sub_now - sum(r.subscribed for r in this_month)
    unsub_then = unsub_now - sum(r.unsubscribed for r in this_month)
    opt_outs = {r.day: r.opt_outs for r in rows}
    return ChannelTrend(
        channel=channel,
        subscribed=Versus(sub_now, sub_then),
        unsubscribed=Versus(unsub_now, unsub_then),
        series=_series(by_day, sub_now, unsub_now, today, days),
        spikes=spikes(opt_outs, range(today - days + 1, today + 1)),
        recent_spikes=spikes(opt_outs, range(today - RECENT_DAYS + 1, today + 1)),
    )


def _series(
    by_day: Mapping[int, TrendRow], sub: int, unsub: int, today: int, days: int
) -> tuple[TrendDay, ...]:
    """The last ``days`` days, oldest first: walk back from the totals now, day by day."""
    points = []
    for day in range(today, today - days, -1):
        row = by_day.get(day)
        points.append(TrendDay(day_date(day), sub, unsub, row.opt_outs if row else 0))
        if row is not None:
            sub, unsub = sub - row.subscribed, unsub - row.unsubscribed
    return tuple(reversed(points))
