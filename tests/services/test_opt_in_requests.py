"""Send an opt-in request (seeds/004, decision 064): when staff may ask a contact to opt in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consentry.core.errors import Forbidden, HardOptOutLocked, OptedOut, OptInRequestTooSoon
from consentry.core.events import Action, Source
from consentry.core.status import Status
from consentry.ledger.opt_in_requests import REQUEST_INTERVAL
from tests.factories import admin, as_contact, count_rows, make_contact, staff, viewer


def status(ledger, contact, channel="email"):
    return ledger.status_at(admin(), contact.id, channel, "acme", at=ledger.clock.now()).status


def test_a_request_records_pending_and_sends_the_confirmation_message(ledger, inbox):
    ada = make_contact(ledger)
    event = ledger.send_opt_in_request(staff(), ada.id, "email", "acme")
    assert (event.action, event.source, event.recorded_by) == (
        Action.CONFIRMATION_REQUESTED, Source.ADMIN_UI, "staff@acme",
    )  # fmt: skip
    assert status(ledger, ada) is Status.PENDING
    inbox.wait_for(1)
    assert inbox.messages[0]["To"] == "ada@example.com"
    assert inbox.link().startswith("/confirm/")


def test_after_an_admins_opt_out_an_admin_re_subscribes_instead(ledger, inbox):
    ada = make_contact(ledger)
    ledger.opt_out(admin(), ada.id, "email", "acme")
    before = count_rows(ledger)
    with pytest.raises(OptedOut) as caught:
        ledger.send_opt_in_request(admin(), ada.id, "email", "acme")
    assert caught.value.code == "opted_out"
    assert count_rows(ledger) == before and inbox.messages == []


def test_never_after_the_contacts_own_opt_out(ledger, inbox):
    ada = make_contact(ledger)
    ledger.opt_out(as_contact(ada), ada.id, "sms", "acme", source=Source.UNSUBSCRIBE_LINK)
    before = count_rows(ledger)
    with pytest.raises(HardOptOutLocked) as caught:
        ledger.send_opt_in_request(admin(), ada.id, "sms", "acme")
    assert caught.value.code == "hard_opt_out_locked" and caught.value.details["event_id"]
    assert count_rows(ledger) == before and inbox.messages == []


def test_at_most_once_in_thirty_days(ledger, inbox, clock):
    ada = make_contact(ledger)
    first = ledger.send_opt_in_request(staff(), ada.id, "email", "acme")
    ledger.expire_confirmations(admin())
    clock.set(clock.now() + REQUEST_INTERVAL - timedelta(seconds=1))
    with pytest.raises(OptInRequestTooSoon) as caught:
        ledger.send_opt_in_request(admin(), ada.id, "email", "acme")
    assert caught.value.code == "opt_in_request_too_soon"
    assert caught.value.details["event_id"] == first.id
    clock.set(clock.now() + timedelta(seconds=1))
    ledger.send_opt_in_request(admin(), ada.id, "email", "acme")
    inbox.wait_for(2)


def test_a_viewer_may_not_send_one(ledger):
    ada = make_contact(ledger)
    with pytest.raises(Forbidden):
        ledger.send_opt_in_request(viewer(), ada.id, "email", "acme")
