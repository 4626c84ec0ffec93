"""Trends (seeds/002, decision 066): subscribed and unsubscribed totals per channel at a scope and
below, against last month, a daily series and the spikes in unsubscribes, served from counts
each consent event adds to in its own transaction — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from consentry.core.channels import Channel
from consentry.core.errors import Forbidden, Invalid, OutOfScope, ScopeNotFound
from consentry.core.events import Source
from consentry.core.trends import Direction, Spike, Trends
from consentry.ledger import consent
from tests.factories import (
    T0,
    WRITTEN,
    admin,
    as_contact,
    count_rows,
    make_contact,
    receive_text,
    sender,
    sql,
    viewer,
)

REASON = {"reason": "contact_asked", "evidence": WRITTEN}
EARLY = {**WRITTEN, "given_at": "2025-12-01"}  #: written permission given before last month


def totals(found: Trends, channel: str = "sms") -> tuple[int, int]:
    """(subscribed, unsubscribed) now on one channel."""
    (trend,) = [c for c in found.channels if c.channel == channel]
    return trend.subscribed.now, trend.unsubscribed.now


def person(ledger, n: int, group: str = "acme"):
    """The n-th contact of a group, with an address on every channel the tests use."""
    return make_contact(
        ledger, email=f"p{n}@example.com", mobile=f"+4477009{n:05d}", group=group, name=f"P{n}"
    )


# ── the counts follow every change ──
def test_counts_follow_opt_ins_soft_and_hard_opt_outs_and_re_subscribes(ledger):
    ada, bob = person(ledger, 1), person(ledger, 2)
    assert totals(ledger.trends(admin())) == (0, 0)
    ledger.opt_in(admin(), ada.id, "sms", "acme", evidence=WRITTEN)
    ledger.opt_in(admin(), bob.id, "sms", "acme", evidence=WRITTEN)
    assert totals(ledger.trends(admin())) == (2, 0)
    ledger.opt_out(admin(), ada.id, "sms", "acme")  # soft, over an opt-in: one moves across
    assert totals(ledger.trends(admin())) == (1, 1)
    ledger.resubscribe(admin(), ada.id, "sms", "acme", **REASON)
    assert totals(ledger.trends(admin())) == (2, 0)
    ledger.opt_out(as_contact(bob), bob.id, "sms", "acme", source=Source.UNSUBSCRIBE_LINK)  # hard
    assert totals(ledger.trends(admin())) == (1, 1)
    ledger.opt_out(admin(), bob.id, "sms", "acme")  # soft under hard: still one unsubscribed
    assert totals(ledger.trends(admin())) == (1, 1)
    [sms] = [c for c in ledger.trends(admin()).channels if c.channel is Channel.SMS]
    assert sms.series[-1].opt_outs == 3  # every opt-out event of the day counts
    assert totals(ledger.trends(admin()), "email") == (0, 0)


def test_an_opt_out_without_an_opt_in_adds_one_unsubscribed_and_nothing_subscribed(ledger):
    ada = person(ledger, 1)
    ledger.opt_out(admin(), ada.id, "email", "acme/events")
    assert totals(ledger.trends(admin()), "email") == (0, 1)


def test_a_stop_and_a_start_by_text_message_move_the_count_back_and_forth(numbers):
    make_contact(numbers)
    receive_text(numbers, "SM1", "START")
    assert totals(numbers.trends(admin())) == (1, 0)
    receive_text(numbers, "SM2", "STOP")
    assert totals(numbers.trends(admin())) == (0, 1)
    receive_text(numbers, "SM3", "START")  # the contact's own opt-in ends their own opt-out
    assert totals(numbers.trends(admin())) == (1, 0)


def test_a_pending_request_and_a_bounce_write_no_trend_row(ledger):
    ada = person(ledger, 1)
    ledger.request_confirmation(admin(), ada.id, "email", "acme")  # pending: neither total
    ledger.record_bounce(sender(), ada.id, "email")  # a suppression: no consent row changes
    assert count_rows(ledger)["trend_days"] == 0
    assert totals(ledger.trends(admin()), "email") == (0, 0)


def test_a_complaint_counts_as_the_contacts_own_opt_out(ledger):
    ada = person(ledger, 1)
    ledger.opt_in(admin(), ada.id, "email", "acme", evidence=WRITTEN)
    ledger.record_complaint(sender(), ada.id, "email")
    assert totals(ledger.trends(admin()), "email") == (0, 1)


# ── in the same transaction ──
def test_a_command_that_fails_after_its_append_writes_no_trend_row(ledger, monkeypatch):
    ada = person(ledger, 1)
    ledger.opt_in(admin(), ada.id, "sms", "acme", evidence=WRITTEN)
    before = count_rows(ledger)

    def fail(*_args, **_kwargs):
        raise Forbidden("the step after the append failed")

    monkeypatch.setattr(consent, "close_overridden_requests", fail)
    with pytest.raises(Forbidden):
        ledger.opt_out(admin(), ada.id, "sms", "acme")
    assert count_rows(ledger) == before
    assert totals(ledger.trends(admin())) == (1, 0)


def test_the_counts_are_kept_per_group_scope_channel_and_utc_day(ledger, clock):
    ada, bob = person(ledger, 1), person(ledger, 2)
    ledger.opt_in(admin(), ada.id, "sms", "acme/newsletters", evidence=WRITTEN)
    clock.set(T0 + timedelta(days=1))
    ledger.opt_in(admin(), bob.id, "sms", "acme/newsletters", evidence=WRITTEN)
    ledger.opt_out(admin(), ada.id, "sms", "acme/newsletters")
    rows = sql(
        ledger,
        "SELECT group_id, scope_id, channel, day, subscribed_delta, unsubscribed_delta, opt_outs "
        "FROM trend_days ORDER BY day",
    )
    first = (T0.date() - date(1970, 1, 1)).days
    assert [tuple(r) for r in rows] == [
        ("acme", "acme/newsletters", "sms", first, 1, 0, 0),
        ("acme", "acme/newsletters", "sms", first + 1, 0, 1, 1),  # +1 bob, -1 ada, ada +1 out
    ]


# ── at a scope and below ──
def test_a_scope_sums_itself_and_every_scope_below_it_never_beside(ledger):
    scopes = ["acme", "acme/newsletters", "acme/newsletters/ada", "acme/events"]
    for n, scope in enumerate(scopes):
        ledger.opt_in(admin(), person(ledger, n).id, "email", scope, evidence=WRITTEN)
    gx = person(ledger, 9, group="globex")
    ledger.opt_in(admin("globex"), gx.id, "email", "globex", evidence=WRITTEN)
    assert totals(ledger.trends(admin()), "email") == (4, 0)
    assert totals(ledger.trends(admin(), scope_id="acme/newsletters"), "email") == (2, 0)
    assert totals(ledger.trends(admin("acme/newsletters/ada")), "email") == (1, 0)
    assert totals(ledger.trends(admin(), scope_id="acme/events/bob"), "email") == (0, 0)
    assert totals(ledger.trends(admin("globex")), "email") == (1, 0)


def test_a_like_wildcard_in_a_scope_id_matches_only_itself(ledger):
    ledger.add_scope(admin(), "acme/a_c")
    ledger.add_scope(admin(), "acme/abc")
    ledger.add_scope(admin(), "acme/abc/u")
    ledger.opt_in(admin(), person(ledger, 1).id, "email", "acme/abc/u", evidence=WRITTEN)
    assert totals(ledger.trends(admin(), scope_id="acme/a_c"), "email") == (0, 0)
    assert totals(ledger.trends(admin(), scope_id="acme/abc"), "email") == (1, 0)


# ── who may read ──
def test_a_client_admin_cannot_read_above_or_beside_its_client(ledger):
    news = admin("acme/newsletters")
    assert ledger.trends(news).scope_id == "acme/newsletters"
    for scope in ("acme", "acme/events", "globex"):
        with pytest.raises(OutOfScope) as refused:
            ledger.trends(news, scope_id=scope)
        assert refused.value.code == "out_of_scope"


def test_viewers_read_trends_and_sending_keys_do_not(ledger):
    assert ledger.trends(viewer()).scope_id == "acme"
    with pytest.raises(Forbidden) as refused:
        ledger.trends(sender())
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize(
    ("options", "error", "code"),
    [
        ({"days": 0}, Invalid, "invalid"),
        ({"days": 731}, Invalid, "invalid"),
        ({"days": True}, Invalid, "invalid"),
        ({"days": "30"}, Invalid, "invalid"),
        ({"scope_id": "Not a scope!"}, Invalid, "invalid_scope"),
        ({"scope_id": "acme/nowhere"}, ScopeNotFound, "scope_not_found"),
        ({"scope_id": "acme\x01"}, Invalid, "invalid_text"),
    ],
)
def test_bad_options_are_refused(ledger, options, error, code):
    with pytest.raises(error) as refused:
        ledger.trends(admin(), **options)
    assert refused.value.code == code


# ── against last month, and the series ──
def test_the_change_against_last_month_and_the_daily_series(ledger, clock):
    people = [person(ledger, n) for n in range(12)]
    clock.set(T0 - timedelta(days=10))  # 2025-12-26: last month
    for p in people[:8]:
        ledger.opt_in(admin(), p.id, "sms", "acme", evidence=EARLY)
    ledger.opt_out(admin(), people[8].id, "sms", "acme")
    clock.set(T0 - timedelta(days=1))  # 2026-01-04: this month
    for p in people[9:]:
        ledger.opt_in(admin(), p.id, "sms", "acme", evidence=EARLY)
    clock.set(T0)
    ledger.opt_out(admin(), people[0].id, "sms", "acme")
    found = ledger.trends(admin(), days=30)
    assert (found.today, found.days) == (T0.date(), 30)
    [sms] = [c for c in found.channels if c.channel is Channel.SMS]
    assert (sms.subscribed.now, sms.subscribed.then) == (10, 8)
    assert (sms.subscribed.percent, sms.subscribed.direction) == (Decimal("25.0"), Direction.UP)
    assert (sms.unsubscribed.now, sms.unsubscribed.then) == (2, 1)
    assert sms.unsubscribed.percent == Decimal("100.0")
    assert len(sms.series) == 30 and sms.series[-1].day == T0.date()
    by_day = {d.day: (d.subscribed, d.unsubscribed, d.opt_outs) for d in sms.series}
    assert by_day[date(2025, 12, 25)] == (0, 0, 0)
    assert by_day[date(2025, 12, 26)] == (8, 1, 1)
    assert by_day[date(2026, 1, 3)] == (8, 1, 0)  # a day without events keeps the totals
    assert by_day[date(2026, 1, 4)] == (11, 1, 0)
    assert by_day[date(2026, 1, 5)] == (10, 2, 1)
    [email] = [c for c in found.channels if c.channel is Channel.EMAIL]
    assert email.subscribed.percent == Decimal("0.0") and email.subscribed.direction is (
        Direction.SAME
    )


def test_a_total_that_had_nothing_at_the_end_of_last_month_is_new(ledger):
    ledger.opt_in(admin(), person(ledger, 1).id, "sms", "acme", evidence=WRITTEN)
    [sms] = [c for c in ledger.trends(admin()).channels if c.channel is Channel.SMS]
    assert (sms.subscribed.then, sms.subscribed.percent) == (0, None)


def test_only_the_deployments_channels_are_reported(ledger):
    ledger.context.policy = type(ledger.policy)(enabled=frozenset({Channel.SMS, Channel.EMAIL}))
    found = ledger.trends(admin(), days=7)
    assert [c.channel for c in found.channels] == [Channel.EMAIL, Channel.SMS]


# ── spikes ──
def test_a_busy_day_after_28_quiet_ones_is_a_spike_and_warns(ledger, clock):
    made = iter(range(1000))
    start = T0 - timedelta(days=28)
    for n in range(28):  # two opt-outs a day: the usual is 2
        clock.set(start + timedelta(days=n))
        for _ in range(2):
            ledger.opt_out(admin(), person(ledger, next(made)).id, "sms", "acme/newsletters")
    clock.set(T0)
    for _ in range(12):  # > 3 x 2 and ≥ 10
        ledger.opt_out(admin(), person(ledger, next(made)).id, "sms", "acme/newsletters")
    found = ledger.trends(admin(), days=30)
    [sms] = [c for c in found.channels if c.channel is Channel.SMS]
    spike = Spike(T0.date(), 12, 2.0)
    assert sms.spikes == sms.recent_spikes == (spike,)
    assert found.warnings == [(Channel.SMS, spike)]
    assert ledger.trends(admin(), scope_id="acme/events").warnings == []
    clock.set(T0 + timedelta(days=7))  # a week later the page no longer warns
    later = ledger.trends(admin(), days=30)
    assert later.warnings == [] and [c.spikes for c in later.channels if c.spikes] == [(spike,)]


def test_nine_opt_outs_on_a_quiet_day_are_not_a_spike(ledger):
    for n in range(9):
        ledger.opt_out(admin(), person(ledger, n).id, "sms", "acme")
    assert ledger.trends(admin()).warnings == []
