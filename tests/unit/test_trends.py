"""The trend rules of the core (decision 066): what an event adds to its day, the median, the
spike rule, the change against last month, and the series built from the store's rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consentry.core.channels import Channel
from consentry.core.events import Action
from consentry.core.status import Status
from consentry.core.trends import (
    Direction,
    Spike,
    TrendDelta,
    TrendRow,
    Versus,
    change_percent,
    day_date,
    day_number,
    delta,
    first_day_read,
    is_spike,
    month_start,
    spikes,
    trends_of,
    usual,
)

TODAY = day_number(datetime(2026, 1, 5, 9, tzinfo=UTC))


# ── days ──
def test_a_day_is_a_utc_day_counted_from_1970():
    assert day_number(datetime(1970, 1, 1, 23, 59, tzinfo=UTC)) == 0
    assert day_number(datetime(2026, 1, 5, tzinfo=UTC)) == TODAY == 20458
    late = datetime(2026, 1, 4, 23, 30, tzinfo=timezone(timedelta(hours=-2)))  # 01:30 UTC
    assert day_number(late) == TODAY and day_date(TODAY) == date(2026, 1, 5)
    assert month_start(TODAY) == TODAY - 4


# ── what one event adds ──
@pytest.mark.parametrize(
    ("before", "after", "action", "expected"),
    [
        (Status.NONE, Status.OPTED_IN, Action.OPTED_IN, TrendDelta(1, 0, 0)),
        (Status.OPTED_IN, Status.SOFT_OPT_OUT, Action.OPTED_OUT, TrendDelta(-1, 1, 1)),
        (Status.OPTED_IN, Status.HARD_OPT_OUT, Action.OPTED_OUT, TrendDelta(-1, 1, 1)),
        (Status.NONE, Status.HARD_OPT_OUT, Action.OPTED_OUT, TrendDelta(0, 1, 1)),
        (Status.SOFT_OPT_OUT, Status.OPTED_IN, Action.RESUBSCRIBED, TrendDelta(1, -1, 0)),
        (Status.HARD_OPT_OUT, Status.HARD_OPT_OUT, Action.OPTED_OUT, TrendDelta(0, 0, 1)),
        (Status.SOFT_OPT_OUT, Status.HARD_OPT_OUT, Action.OPTED_OUT, TrendDelta(0, 0, 1)),
        (Status.PENDING, Status.OPTED_IN, Action.CONFIRMED, TrendDelta(1, 0, 0)),
        (Status.NONE, Status.PENDING, Action.CONFIRMATION_REQUESTED, None),
        (Status.PENDING, Status.NONE, Action.CONFIRMATION_EXPIRED, None),
        (Status.OPTED_IN, Status.OPTED_IN, Action.OPTED_IN, None),
    ],
)
def test_an_event_adds_the_change_of_its_row_and_one_opt_out(before, after, action, expected):
    assert delta(before, after, action) == expected


def test_a_delta_is_true_only_when_it_changes_something():
    assert not TrendDelta() and TrendDelta(opt_outs=1) and TrendDelta(subscribed=-1)


# ── the median and the spike rule ──
def test_the_usual_is_the_median_and_zero_without_days():
    assert usual([]) == 0.0
    assert usual([4]) == 4.0
    assert usual([1, 9, 4]) == 4.0
    assert usual([1, 4, 5, 100]) == 4.5
    assert usual([0] * 27 + [500]) == 0.0  # one wild day does not move the usual


@pytest.mark.parametrize(
    ("count", "before", "spike"),
    [
        (10, [0] * 28, True),  # quiet: ten is enough
        (9, [0] * 28, False),  # but fewer than ten never is
        (13, [4] * 28, True),  # > 3 x 4
        (12, [4] * 28, False),  # = 3 x 4 is not more
        (57, [4] * 28, True),
        (30, [10] * 28, False),
        (31, [10] * 28, True),
        (10, [], True),
    ],
)
def test_a_spike_is_more_than_three_times_the_median_and_at_least_ten(count, before, spike):
    assert is_spike(count, before) is spike


def test_spikes_count_a_day_without_events_as_zero():
    day = TODAY
    quiet = dict.fromkeys(range(day - 28, day, 2), 3)  # every other day 3, else nothing: median 1.5
    assert spikes({**quiet, day: 10}, [day]) == (Spike(day_date(day), 10, 1.5),)
    assert spikes({**quiet, day: 9}, [day]) == ()
    assert spikes({day - 1: 40}, [day - 1, day]) == (Spike(day_date(day - 1), 40, 0.0),)


# ── the change against last month ──
@pytest.mark.parametrize(
    ("now", "then", "percent"),
    [
        (9, 8, Decimal("12.5")),
        (7, 8, Decimal("-12.5")),
        (8, 8, Decimal("0.0")),
        (2, 3, Decimal("-33.3")),
        (1, 3, Decimal("-66.7")),  # half up: -66.666… → -66.7
        (1001, 800, Decimal("25.1")),  # 25.125
        (1803, 1600, Decimal("12.7")),  # 12.6875
        (0, 5, Decimal("-100.0")),
        (5, 0, None),  # new
        (0, 0, Decimal("0.0")),
    ],
)
def test_the_change_is_a_percentage_to_one_decimal_or_new(now, then, percent):
    assert change_percent(now, then) == percent
    assert Versus(now, then).percent == percent


def test_half_a_tenth_rounds_away_from_zero():
    assert change_percent(449, 400) == Decimal("12.3")  # 12.25
    assert change_percent(351, 400) == Decimal("-12.3")  # -12.25
    assert change_percent(2001, 2000) == Decimal("0.1")  # 0.05
    assert change_percent(9, 16) == Decimal("-43.8")  # -43.75


def test_a_direction_says_which_way_a_total_moved():
    assert Versus(3, 2).direction is Direction.UP
    assert Versus(2, 3).direction is Direction.DOWN
    assert Versus(2, 2).direction is Direction.SAME


@given(st.integers(0, 10**6), st.integers(1, 10**6))
def test_the_percentage_is_within_a_twentieth_of_the_exact_change(now, then):
    percent = change_percent(now, then)
    assert percent is not None
    assert abs(percent - Decimal(now - then) * 100 / then) <= Decimal("0.05")


# ── the trends from the store's rows ──
def row(channel: Channel, day: int, sub: int = 0, unsub: int = 0, outs: int = 0) -> TrendRow:
    return TrendRow(channel, day, sub, unsub, outs)


def test_the_first_day_read_covers_the_spike_baseline_and_this_month():
    assert first_day_read(TODAY, 1) == TODAY - 7 + 1 - 28
    assert first_day_read(TODAY, 90) == TODAY - 90 + 1 - 28
    last_of_month = day_number(datetime(2026, 1, 31, tzinfo=UTC))
    assert first_day_read(last_of_month, 1) == last_of_month - 34


def test_the_trends_are_built_from_summed_rows():
    rows = [
        row(Channel.SMS, TODAY - 40, sub=100, unsub=5),  # every day before, summed
        row(Channel.SMS, TODAY - 5, sub=4, unsub=1, outs=1),  # last month
        row(Channel.SMS, TODAY - 1, sub=-2, unsub=2, outs=2),  # this month
        row(Channel.SMS, TODAY + 1, sub=1),  # another server's clock: today's
        row(Channel.PUSH, TODAY, sub=7),  # not a channel of the deployment
    ]
    found = trends_of(
        rows, scope_id="acme", channels=[Channel.EMAIL, Channel.SMS], today=TODAY, days=3
    )
    assert (found.scope_id, found.today, found.days) == ("acme", day_date(TODAY), 3)
    email, sms = found.channels
    assert (email.channel, email.subscribed, email.unsubscribed) == (
        Channel.EMAIL, Versus(0, 0), Versus(0, 0),
    )  # fmt: skip
    assert [(d.subscribed, d.unsubscribed, d.opt_outs) for d in email.series] == [(0, 0, 0)] * 3
    assert (sms.subscribed, sms.unsubscribed) == (Versus(103, 104), Versus(8, 6))
    assert [(d.day, d.subscribed, d.unsubscribed, d.opt_outs) for d in sms.series] == [
        (day_date(TODAY - 2), 104, 6, 0),
        (day_date(TODAY - 1), 102, 8, 2),
        (day_date(TODAY), 103, 8, 0),
    ]
    assert sms.spikes == sms.recent_spikes == () and found.warnings == []


def test_a_spike_outside_the_series_still_warns_when_it_is_in_the_last_week():
    rows = [row(Channel.SMS, TODAY - 3, outs=25)]
    found = trends_of(rows, scope_id="acme", channels=[Channel.SMS], today=TODAY, days=1)
    (sms,) = found.channels
    assert sms.spikes == ()
    assert sms.recent_spikes == (Spike(day_date(TODAY - 3), 25, 0.0),)
    assert found.warnings == [(Channel.SMS, Spike(day_date(TODAY - 3), 25, 0.0))]
