"""Journeys (issue 10, seed 000; decision 078) on both databases: a journey message is judged as
the ledger stood when it was triggered; a missed one stays missed after an opt-in and can be
re-sent once; a scheduled (birthday) journey runs once a UTC day."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from consentry.bootstrap import build
from consentry.core.eligibility import Reason
from consentry.core.errors import (
    ContactNotFound,
    Forbidden,
    Invalid,
    InvalidTime,
    JourneyMessageNotFound,
    NotEligibleForResend,
    NotMissed,
    OutOfScope,
    ResendAlreadyRequested,
    ScheduledJourneyNotFound,
)
from consentry.core.journeys import Outcome
from consentry.ledger import Ledger, journeys
from tests.factories import T0, WRITTEN, admin, make_contact, sender, sql, staff, system, viewer

NEWS = "acme/newsletters"
HOUR = timedelta(hours=1)


def _opted_in(ledger: Ledger, channel: str = "email", scope: str = "acme"):
    ada = make_contact(ledger)
    ledger.opt_in(admin(), ada.id, channel, scope, evidence=WRITTEN)
    return ada


def _report(ledger: Ledger, contact_id: str, message_id: str = "m-1", **more):
    more.setdefault("journey", "birthday")
    return ledger.report_journey_message(
        sender(), contact_id, "email", more.pop("scope", "acme"), message_id=message_id, **more
    )


def _notices(ledger: Ledger, kind: str) -> int:
    rows = sql(ledger, "SELECT count(*) FROM webhook_notices WHERE event_type = :k", k=kind)
    return int(rows[0][0])


def _deliveries(ledger: Ledger, kind: str) -> int:
    rows = sql(ledger, "SELECT count(*) FROM webhook_deliveries WHERE event_type = :k", k=kind)
    return int(rows[0][0])


def test_a_birthday_missed_while_opted_out_stays_missed_after_an_opt_in_and_is_resent_once(
    ledger, clock
):
    ada = _opted_in(ledger)
    clock.set(T0 + HOUR)
    out = ledger.opt_out(admin(), ada.id, "email", "acme")
    clock.set(T0 + 2 * HOUR)
    missed = _report(ledger, ada.id)
    assert missed.outcome is Outcome.MISSED and missed.reason is Reason.SOFT_OPT_OUT
    assert missed.decided_event_id == out.id and missed.decided_scope_id == "acme"
    assert missed.triggered_at == T0 + 2 * HOUR and missed.reported_by == "key-acme"
    clock.set(T0 + 3 * HOUR)
    ledger.resubscribe(admin(), ada.id, "email", "acme", reason="contact_asked", evidence=WRITTEN)
    page = ledger.missed_messages(staff(), contact_id=ada.id)
    assert [m.id for m in page.messages] == [missed.id] and page.next is None
    assert page.messages[0].resend is None  # the opt-in did not trigger it again
    resent = ledger.request_resend(staff(), missed.id)
    assert resent.resend is not None and resent.resend.requested_by == "staff@acme"
    assert resent.resend.requested_at == T0 + 3 * HOUR
    with pytest.raises(ResendAlreadyRequested):
        ledger.request_resend(admin(), missed.id)
    stored = ledger.get_journey_message(viewer(), missed.id)
    assert stored.resend == resent.resend and stored.outcome is Outcome.MISSED
    assert _notices(ledger, "journey.missed") == 1
    assert _notices(ledger, "journey.resend_requested") == 1


def test_it_is_judged_as_the_ledger_stood_when_it_was_triggered(ledger, clock):
    ada = _opted_in(ledger)
    clock.set(T0 + 2 * HOUR)
    ledger.opt_out(admin(), ada.id, "email", "acme")
    clock.set(T0 + 3 * HOUR)
    sent = _report(ledger, ada.id, triggered_at=T0 + HOUR)
    assert sent.outcome is Outcome.SENT and sent.reason is Reason.OPTED_IN
    before = _report(ledger, ada.id, "m-0", triggered_at=T0 - HOUR)
    assert before.outcome is Outcome.MISSED and before.reason is Reason.NO_CONSENT
    assert before.decided_event_id is None
    assert _notices(ledger, "journey.missed") == 1  # a sent message raises nothing


def test_reporting_the_same_message_again_changes_nothing(ledger, clock):
    ada = make_contact(ledger)
    first = _report(ledger, ada.id)
    ledger.opt_in(admin(), ada.id, "email", "acme", evidence=WRITTEN)
    clock.set(T0 + HOUR)
    again = _report(ledger, ada.id, journey="welcome")
    assert again == first and again.outcome is Outcome.MISSED
    assert _notices(ledger, "journey.missed") == 1
    other = _report(ledger, ada.id, "m-2")
    assert other.outcome is Outcome.SENT and other.id != first.id


def test_a_bounce_then_is_the_reason_and_an_address_is_needed(ledger, clock):
    ada = _opted_in(ledger)
    clock.set(T0 + HOUR)
    ledger.record_bounce(sender(), ada.id, "email")
    clock.set(T0 + 2 * HOUR)
    assert _report(ledger, ada.id).reason is Reason.BOUNCED
    bob = make_contact(ledger, email=None, mobile="+447700900124")
    assert _report(ledger, bob.id).reason is Reason.NO_ADDRESS


def test_a_transactional_message_follows_the_groups_policy(ledger):
    ada = _opted_in(ledger)
    ledger.opt_out(admin(), ada.id, "email", "acme")
    ledger.set_transactional_policy(admin(), "email", bypass=True)
    found = _report(ledger, ada.id, category="transactional")
    assert found.outcome is Outcome.SENT and found.reason is Reason.TRANSACTIONAL


def test_the_report_is_checked(ledger):
    ada = make_contact(ledger)
    with pytest.raises(InvalidTime):
        _report(ledger, ada.id, triggered_at=T0 + HOUR)
    with pytest.raises(Invalid):
        _report(ledger, ada.id, message_id="  ")
    with pytest.raises(Invalid):
        _report(ledger, ada.id, journey=" ")
    with pytest.raises(Forbidden):
        ledger.report_journey_message(
            viewer(), ada.id, "email", "acme", journey="birthday", message_id="m"
        )
    with pytest.raises(OutOfScope):
        ledger.report_journey_message(
            sender(NEWS), ada.id, "email", "acme", journey="birthday", message_id="m"
        )
    with pytest.raises(ContactNotFound):
        ledger.report_journey_message(
            sender("globex"), ada.id, "email", "globex", journey="birthday", message_id="m"
        )


def test_a_resend_needs_the_contact_eligible_now_and_a_missed_message(ledger):
    ada = make_contact(ledger)
    missed = _report(ledger, ada.id)
    with pytest.raises(NotEligibleForResend) as refused:
        ledger.request_resend(staff(), missed.id)
    assert refused.value.details["reason"] == "no_consent"
    ledger.opt_in(admin(), ada.id, "email", "acme", evidence=WRITTEN)
    sent = _report(ledger, ada.id, "m-2")
    with pytest.raises(NotMissed):
        ledger.request_resend(staff(), sent.id)
    with pytest.raises(Forbidden):
        ledger.request_resend(viewer(), missed.id)
    with pytest.raises(OutOfScope):
        ledger.request_resend(staff(NEWS), missed.id)
    with pytest.raises(JourneyMessageNotFound):
        ledger.request_resend(admin("globex"), missed.id)
    with pytest.raises(JourneyMessageNotFound):
        ledger.request_resend(staff(), "jm_nope")
    assert ledger.request_resend(staff(), missed.id).resend is not None


def test_missed_messages_are_listed_by_reach_filter_and_page(ledger, clock):
    ada = make_contact(ledger)
    bob = make_contact(ledger, email="bob@example.com", mobile="+447700900124")
    found = []
    for n, (who, scope, journey) in enumerate(
        [(ada, "acme", "birthday"), (ada, NEWS, "welcome"), (bob, NEWS, "birthday"),
         (bob, "acme/events", "birthday")]
    ):  # fmt: skip
        clock.set(T0 + n * HOUR)
        found.append(_report(ledger, who.id, f"m-{n}", scope=scope, journey=journey))
    ids = [m.id for m in reversed(found)]  # newest first
    assert [m.id for m in ledger.missed_messages(viewer()).messages] == ids
    first = ledger.missed_messages(viewer(), limit=3)
    assert [m.id for m in first.messages] == ids[:3] and first.next == ids[2]
    rest = ledger.missed_messages(viewer(), limit=3, after=first.next)
    assert [m.id for m in rest.messages] == ids[3:] and rest.next is None
    assert [m.id for m in ledger.missed_messages(viewer(NEWS)).messages] == [ids[1], ids[2]]
    assert [m.id for m in ledger.missed_messages(viewer(), scope_id=NEWS).messages] == [
        ids[1],
        ids[2],
    ]
    birthdays = ledger.missed_messages(viewer(), journey="birthday", channel="email")
    assert [m.id for m in birthdays.messages] == [ids[0], ids[1], ids[3]]
    assert [m.id for m in ledger.missed_messages(viewer(), contact_id=ada.id).messages] == ids[2:]
    assert ledger.missed_messages(viewer("globex")).messages == ()
    with pytest.raises(OutOfScope):
        ledger.missed_messages(viewer(NEWS), scope_id="acme")
    with pytest.raises(Forbidden):
        ledger.missed_messages(sender())


def test_a_scheduled_birthday_journey_runs_once_a_utc_day(ledger, clock):
    journey = ledger.create_journey(
        admin(), NEWS, name="Birthday", channel="email", attribute="birthday"
    )
    today = T0.date()
    ada = make_contact(ledger, attributes={"birthday": f"1990-{today:%m-%d}"})
    ledger.opt_in(admin(), ada.id, "email", NEWS, evidence=WRITTEN)
    bob = make_contact(
        ledger, email="bob@example.com", mobile="+447700900124",
        attributes={"birthday": f"{today:%m-%d}"},
    )  # fmt: skip
    make_contact(ledger, email="cy@example.com", mobile="+447700900125",
                 attributes={"birthday": "1990-12-25"})  # fmt: skip
    make_contact(ledger, email="di@example.com", mobile="+447700900126")
    ledger.create_webhook(admin(), "acme", "https://crm.example.com/hooks",
                          event_types=["journey.triggered", "journey.missed"])  # fmt: skip
    report = ledger.run_scheduled_journeys()
    assert (report.journeys, report.triggered, report.missed) == (1, 1, 1)
    assert ledger.run_scheduled_journeys().journeys == 0  # once a day
    [missed] = ledger.missed_messages(staff()).messages
    assert missed.contact_id == bob.id and missed.scheduled_journey_id == journey.id
    assert missed.journey == "Birthday" and missed.message_id == f"{journey.id}:{today}"
    assert _deliveries(ledger, "journey.triggered") == 1
    assert _deliveries(ledger, "journey.missed") == 1
    runs = sql(ledger, "SELECT triggered, missed, finished_at FROM journey_runs")
    assert [(r[0], r[1], r[2] is not None) for r in runs] == [(1, 1, True)]
    clock.set(T0 + timedelta(days=1))
    assert ledger.run_scheduled_journeys().journeys == 1  # the next day: nobody is due


def test_an_erased_contact_is_passed_over(ledger):
    ledger.create_journey(admin(), "acme", name="Birthday", channel="email", attribute="born")
    ada = make_contact(ledger, attributes={"born": f"{T0:%m-%d}"})
    ledger.erase_contact(admin(), ada.id)
    assert ledger.run_scheduled_journeys().missed == 0


def test_scheduled_journeys_are_managed_by_admins_within_their_scope(ledger):
    news = ledger.create_journey(
        admin(NEWS), NEWS, name="Welcome", channel="sms", attribute="joined",
        category="marketing",
    )  # fmt: skip
    top = ledger.create_journey(admin(), "acme", name="Birthday", channel="email", attribute="b")
    assert {j.id for j in ledger.list_journeys(admin())} == {news.id, top.id}
    assert [j.id for j in ledger.list_journeys(admin(NEWS))] == [news.id]
    assert ledger.get_journey(admin(), news.id) == news
    with pytest.raises(OutOfScope):
        ledger.get_journey(admin(NEWS), top.id)
    with pytest.raises(OutOfScope):
        ledger.create_journey(admin(NEWS), "acme", name="x", channel="email", attribute="b")
    with pytest.raises(Forbidden):
        ledger.create_journey(staff(), "acme", name="x", channel="email", attribute="b")
    with pytest.raises(ScheduledJourneyNotFound):
        ledger.get_journey(admin("globex"), news.id)
    assert ledger.delete_journey(admin(), news.id) == news
    with pytest.raises(ScheduledJourneyNotFound):
        ledger.delete_journey(admin(), news.id)
    assert [j.id for j in ledger.list_journeys(system())] == [top.id]


def test_a_run_another_worker_took_records_nothing(ledger, monkeypatch):
    journey = ledger.create_journey(admin(), "acme", name="Birthday", channel="email",
                                    attribute="birthday")  # fmt: skip
    monkeypatch.setattr(journeys, "CONTACTS_PAGE", 1)  # the run reads the contacts page by page
    for n in range(3):
        make_contact(ledger, email=f"p{n}@example.com", mobile=f"+44770090013{n}",
                     attributes={"birthday": f"{T0:%m-%d}"})  # fmt: skip
    due = ledger.run_scheduled_journeys()
    assert (due.journeys, due.missed) == (1, 3)
    # a second worker read the due list before the first claimed the day: its run does nothing
    assert journeys._run(ledger.context, journey, T0.date(), T0) is None
    assert len(ledger.missed_messages(staff()).messages) == 3


def test_two_workers_at_once_run_a_day_once(ledger, settings, clock):
    ledger.create_journey(admin(), "acme", name="Birthday", channel="email", attribute="bd")
    for n in range(5):
        make_contact(ledger, email=f"w{n}@example.com", mobile=f"+44770090014{n}",
                     attributes={"bd": f"{T0:%m-%d}"})  # fmt: skip
    workers = [ledger, build(settings, clock, migrate=False)]
    try:
        with ThreadPoolExecutor(2) as pool:
            reports = list(pool.map(lambda led: led.run_scheduled_journeys(), workers))
    finally:
        workers[1].close()
    assert sorted(r.journeys for r in reports) == [0, 1]
    assert sum(r.missed for r in reports) == 5
    assert len(ledger.missed_messages(staff()).messages) == 5
    assert _notices(ledger, "journey.missed") == 5
