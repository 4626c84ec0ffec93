"""The rules' clocks for honouring an opt-out (decision 079): FCC 10 business days (Monday to
Friday, UTC, no holidays) for sms, mms and voice; Gmail/Yahoo 2 days for email; no others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from consentry.core.channels import Channel
from consentry.core.compliance import (
    HonourClock,
    SendCount,
    ViolatedOptOut,
    business_deadline,
    deadline,
    report,
)
from consentry.core.events import Strength

MONDAY = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (MONDAY, 10, datetime(2026, 1, 19, 9, 0, tzinfo=UTC)),  # two weeks on, same time
        (MONDAY, 1, datetime(2026, 1, 6, 9, 0, tzinfo=UTC)),
        (datetime(2026, 1, 9, 17, 0, tzinfo=UTC), 1, datetime(2026, 1, 12, 17, 0, tzinfo=UTC)),
        # from a weekend: counted from the next Monday 00:00 UTC
        (datetime(2026, 1, 10, 14, 0, tzinfo=UTC), 10, datetime(2026, 1, 26, 0, 0, tzinfo=UTC)),
        (datetime(2026, 1, 11, 23, 0, tzinfo=UTC), 1, datetime(2026, 1, 13, 0, 0, tzinfo=UTC)),
        (MONDAY, 0, MONDAY),
    ],
)
def test_business_days_are_monday_to_friday_in_utc(start, days, expected):
    assert business_deadline(start, days) == expected


def test_each_channel_has_its_rule_s_clock():
    assert deadline(Channel.SMS, MONDAY) == datetime(2026, 1, 19, 9, 0, tzinfo=UTC)
    assert deadline(Channel.VOICE, MONDAY) == deadline(Channel.MMS, MONDAY)
    assert deadline(Channel.EMAIL, MONDAY) == MONDAY + timedelta(hours=48)
    assert deadline(Channel.WHATSAPP, MONDAY) is None


def _violated(
    event_id: str, channel: Channel, last: datetime, scope: str = "acme"
) -> ViolatedOptOut:
    return ViolatedOptOut(
        event_id=event_id, contact_id="ct_ada", channel=channel, scope_id=scope,
        strength=Strength.HARD, recorded_at=MONDAY, last_sent_at=last, violations=1,
    )  # fmt: skip


def test_the_report_lists_the_exceeded_first_and_counts_per_scope_and_channel():
    violated = [
        _violated("ev_1", Channel.EMAIL, MONDAY + timedelta(days=1)),  # within 48 h
        _violated("ev_2", Channel.EMAIL, MONDAY + timedelta(days=3)),  # beyond
        _violated("ev_3", Channel.WHATSAPP, MONDAY + timedelta(days=30)),  # no clock
    ]
    sends = [SendCount("acme/b", Channel.SMS, 3, 0), SendCount("acme/a", Channel.SMS, 2, 1)]
    opt_outs = [("acme", Channel.EMAIL, 5), ("acme", Channel.WHATSAPP, 1)]
    found = report(MONDAY, MONDAY + timedelta(days=40), sends, opt_outs, violated, limit=2)
    assert [s.scope_id for s in found.sends] == ["acme/a", "acme/b"]
    assert [h.event_id for h in found.honouring] == ["ev_2", "ev_3"] and found.truncated
    assert [h.event_id for h in found.exceeded] == ["ev_2"]
    email, whatsapp = found.opt_outs
    assert (email.opt_outs, email.honoured_at_once, email.exceeded) == (5, 3, 1)
    assert email.longest == timedelta(days=3) and email.clock is HonourClock.BULK_SENDER_2_DAYS
    assert whatsapp.clock is None and whatsapp.exceeded == 0
    assert found.honouring[1].deadline is None and not found.honouring[1].exceeded
