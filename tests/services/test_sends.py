"""Send reports and violations (issue 10; decision 079) on both databases: each reported send is
judged against the ledger as it stood when it was sent; one sent after the contact's STOP is a
violation with the STOP as evidence, one sent before it is not."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from consentry.core.compliance import HonourClock
from consentry.core.eligibility import Reason
from consentry.core.errors import BatchTooLarge, Forbidden, Invalid
from consentry.core.events import Action
from consentry.core.sends import MAX_BATCH, SendReport, SendStatus
from consentry.ledger import Ledger
from tests.factories import (
    ADA_MOBILE,
    T0,
    WRITTEN,
    admin,
    make_contact,
    receive_text,
    sender,
    sql,
    staff,
    system,
    viewer,
)

NEWS = "acme/newsletters"
HOUR = timedelta(hours=1)


def _send(message_id: str, sent_at: datetime, **more: str) -> SendReport:
    fields = {"contact_id": None, "channel": "sms", "scope_id": NEWS, "category": "marketing"}
    fields.update(more)
    return SendReport(message_id=message_id, sent_at=sent_at, **fields)  # type: ignore[arg-type]


@pytest.fixture
def stopped(numbers: Ledger, clock):
    """Ada, opted in to SMS at newsletters at T0, texts STOP at T0 + 1 h; (ledger, ada, stop id)."""
    ada = make_contact(numbers)
    numbers.opt_in(staff(), ada.id, "sms", NEWS, evidence=WRITTEN)
    clock.set(T0 + HOUR)
    result = receive_text(numbers, "SM-stop", "STOP")
    [stop_id] = list(result.event_ids)
    clock.set(T0 + 6 * HOUR)
    return numbers, ada, stop_id


def test_a_send_after_the_stop_is_a_violation_with_the_stop_as_evidence(stopped):
    ledger, ada, stop_id = stopped
    late = T0 + 4 * HOUR  # three hours after the STOP
    [answer] = ledger.report_sends(sender(), [_send("m-late", late, contact_id=ada.id)])
    assert answer.status is SendStatus.VIOLATION
    assert (answer.reason, answer.event_id) == (Reason.HARD_OPT_OUT, stop_id)
    [violation] = ledger.violations(viewer())
    assert violation.id == answer.violation_id and violation.contact_id == ada.id
    assert violation.event is not None and violation.event.id == stop_id
    assert violation.event.action is Action.OPTED_OUT and violation.sent_at == late


def test_a_send_before_the_stop_is_not(stopped):
    ledger, ada, _ = stopped
    early = T0 + HOUR / 2
    [answer] = ledger.report_sends(sender(), [_send("m-early", early, contact_id=ada.id)])
    assert answer.status is SendStatus.ELIGIBLE and answer.reason is Reason.OPTED_IN
    assert answer.violation_id is None
    assert ledger.violations(viewer()) == []


def test_the_contact_is_found_by_address_and_unknown_ones_are_refused(stopped):
    ledger, ada, _ = stopped
    at = T0 + 2 * HOUR
    answers = ledger.report_sends(sender(), [
        _send("m-1", at, mobile=ADA_MOBILE),
        _send("m-2", at, channel="email", email="ADA@example.com"),
        _send("m-3", at, email="nobody@example.com"),
        _send("m-4", at, contact_id="ct_nobody"),
    ])  # fmt: skip
    assert [a.status for a in answers] == [
        SendStatus.VIOLATION,
        SendStatus.VIOLATION,
        SendStatus.REFUSED,
        SendStatus.REFUSED,
    ]
    assert answers[0].contact_id == ada.id and answers[1].reason is Reason.NO_CONSENT
    assert {answers[2].code, answers[3].code} == {"contact_not_found"}
    unconsented = list(ledger.violations(viewer(), channel="email"))
    assert [(v.reason, v.event) for v in unconsented] == [(Reason.NO_CONSENT, None)]


def test_reporting_again_changes_nothing_and_answers_the_same(stopped):
    ledger, ada, _ = stopped
    report = _send("m-dup", T0 + 3 * HOUR, contact_id=ada.id)
    first = ledger.report_sends(sender(), [report])
    again = ledger.report_sends(sender(), [report, report])
    assert again == [first[0], first[0]]
    assert len(ledger.violations(viewer())) == 1
    other = _send("m-dup", T0 + 5 * HOUR, contact_id=ada.id)
    [conflict] = ledger.report_sends(sender(), [other])
    assert (conflict.status, conflict.code) == (SendStatus.REFUSED, "send_conflict")


def test_items_that_cannot_be_judged_are_refused_each_with_a_code(stopped, clock):
    ledger, ada, _ = stopped
    at = T0 + 2 * HOUR
    answers = ledger.report_sends(sender("acme/events"), [
        _send("m-a", at, contact_id=ada.id),  # newsletters is outside the key's scope
        _send("m-b", at, contact_id=ada.id, scope_id="acme/events", channel="fax"),
        _send("m-c", clock.now() + HOUR, contact_id=ada.id, scope_id="acme/events"),
        _send("m-d", at, scope_id="acme/events"),  # no contact named
        _send("", at, contact_id=ada.id, scope_id="acme/events"),
        _send("m-e", at, contact_id=ada.id, scope_id="acme/nowhere"),
        _send("m-f", at, contact_id=ada.id, scope_id="acme/events"),
    ])  # fmt: skip
    codes = [a.code for a in answers]
    assert codes == [
        "out_of_scope", "invalid_channel", "invalid_time", "invalid", "invalid",
        "scope_not_found", None,
    ]  # fmt: skip
    assert answers[-1].status is SendStatus.VIOLATION  # no consent at events


def test_who_may_report_and_who_may_read(stopped):
    ledger, _ada, _ = stopped
    with pytest.raises(Forbidden):
        ledger.report_sends(staff(), [])
    with pytest.raises(Forbidden):
        ledger.violations(sender())
    with pytest.raises(BatchTooLarge):
        ledger.report_sends(sender(), [_send("m", T0)] * (MAX_BATCH + 1))
    assert ledger.report_sends(admin(), []) == []
    assert ledger.compliance_report(staff()).sends == ()


def test_a_bounce_is_the_deciding_event_and_transactional_mail_passes_an_opt_out(stopped, clock):
    ledger, ada, stop_id = stopped
    ledger.opt_out(admin(), ada.id, "email", NEWS)
    clock.set(T0 + 7 * HOUR)
    bounce = ledger.record_bounce(sender(), ada.id, "sms")
    clock.set(T0 + 9 * HOUR)
    answers = ledger.report_sends(sender(), [
        _send("m-b", T0 + 8 * HOUR, contact_id=ada.id),
        _send("m-t", T0 + 8 * HOUR, contact_id=ada.id, channel="email", category="transactional"),
        _send("m-s", T0 + 5 * HOUR, contact_id=ada.id, category="transactional"),
    ])  # fmt: skip
    assert (answers[0].reason, answers[0].event_id) == (Reason.BOUNCED, bounce.id)
    assert answers[1].status is SendStatus.ELIGIBLE and answers[1].reason is Reason.TRANSACTIONAL
    assert (answers[2].reason, answers[2].event_id) == (Reason.HARD_OPT_OUT, stop_id)


def test_violations_are_filtered_and_paged(stopped):
    ledger, ada, _ = stopped
    reports = [_send(f"m-{n}", T0 + (2 + n / 10) * HOUR, contact_id=ada.id) for n in range(5)]
    ledger.report_sends(sender(), reports)
    first = ledger.violations(viewer(), limit=2)
    rest = ledger.violations(viewer(), limit=10, after=first[-1].id)
    assert [v.message_id for v in first + rest] == ["m-4", "m-3", "m-2", "m-1", "m-0"]
    window = ledger.violations(
        viewer(), channel="sms", scope_id=NEWS, since=T0 + 2.1 * HOUR, until=T0 + 2.3 * HOUR
    )
    assert [v.message_id for v in window] == ["m-2", "m-1"]
    assert ledger.violations(viewer(), channel="email") == []
    assert ledger.violations(viewer("acme/events")) == []
    with pytest.raises(Invalid):
        ledger.violations(viewer(), limit=0)
    with pytest.raises(Invalid):
        ledger.violations(viewer(), since=T0 + HOUR, until=T0)


def test_the_compliance_report_counts_and_measures_against_the_clock(stopped, clock):
    ledger, ada, stop_id = stopped
    bob = make_contact(ledger, email="bob@example.com", mobile="+447700900456")
    ledger.opt_out(admin(), bob.id, "email", NEWS)  # soft, honoured at once
    clock.set(T0 + 20 * 24 * HOUR)
    ledger.report_sends(sender(), [
        _send("m-0", T0 + HOUR / 2, contact_id=ada.id),  # before the STOP
        _send("m-1", T0 + 2 * HOUR, contact_id=ada.id),
        _send("m-2", T0 + 15 * 24 * HOUR, contact_id=ada.id),  # 11 business days on
    ])  # fmt: skip
    found = ledger.compliance_report(viewer(), since=T0, until=T0 + 21 * 24 * HOUR)
    [sms] = found.sends
    assert (sms.scope_id, sms.sends, sms.violations) == (NEWS, 3, 2)
    by_channel = {c.channel.value: c for c in found.opt_outs}
    assert by_channel["email"].honoured_at_once == 1 and by_channel["email"].exceeded == 0
    assert (
        by_channel["sms"].exceeded == 1
        and by_channel["sms"].clock is HonourClock.FCC_10_BUSINESS_DAYS
    )
    [late] = found.exceeded
    assert late.event_id == stop_id and late.violations == 2
    assert late.took == T0 + 15 * 24 * HOUR - (T0 + HOUR)
    assert not found.truncated
    default = ledger.compliance_report(system())  # the 30 days to now
    assert default.until == clock.now() and default.sends == found.sends


def test_within_the_clock_is_not_exceeded(stopped):
    ledger, ada, _ = stopped
    ledger.report_sends(sender(), [_send("m-1", T0 + 5 * HOUR, contact_id=ada.id)])
    found = ledger.compliance_report(viewer(), since=T0, until=T0 + 24 * HOUR)
    [measured] = found.honouring
    assert not measured.exceeded and measured.took == 4 * HOUR
    assert found.exceeded == ()


def test_a_violation_raises_a_webhook_notice(stopped):
    ledger, ada, _ = stopped
    ledger.create_webhook(
        admin(), "acme", url="http://127.0.0.1:9/hooks", event_types=["violation.recorded"]
    )
    [answer] = ledger.report_sends(sender(), [_send("m-w", T0 + 2 * HOUR, contact_id=ada.id)])
    rows = sql(ledger, "SELECT event_id, event_type FROM webhook_deliveries")
    assert [tuple(r) for r in rows] == [(answer.violation_id, "violation.recorded")]


def test_times_without_a_zone_are_refused(stopped):
    ledger, ada, _ = stopped
    naive = datetime(2026, 1, 5, 12, 0)
    [answer] = ledger.report_sends(sender(), [_send("m-n", naive, contact_id=ada.id)])
    assert (answer.status, answer.code) == (SendStatus.REFUSED, "invalid")
