"""Opting back in (seeds/003) and double opt-in, with confirmation emails over real SMTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consentry.core.eligibility import Category, Reason
from consentry.core.errors import LinkExpired
from consentry.core.events import Action, Source
from consentry.core.status import Status
from tests.factories import admin, make_contact, sender, staff, system
from tests.web.conftest import event_count, path_of

ADA = "acme/newsletters/ada"


def unsubscribe_path(ledger, contact, scope=ADA):
    headers = ledger.unsubscribe_headers(sender("acme"), contact.id, scope)
    return path_of(headers["List-Unsubscribe"].strip("<>"))


def test_after_a_soft_opt_out_opting_back_in_is_direct(ledger, client, inbox):
    ada = make_contact(ledger)
    ledger.opt_out(admin(), ada.id, "email", ADA)
    response = client.post(
        unsubscribe_path(ledger, ada), data={"action": "opt_in", "level": ADA, "channels": "email"}
    )
    assert response.status_code == 200
    assert "subscribed again" in response.text
    assert ledger.check(sender("acme"), ada.id, "email", ADA).allowed
    last = ledger.history(admin(), ada.id)[-1]
    assert (last.action, last.source) == (Action.OPTED_IN, Source.PREFERENCE_CENTRE)
    assert last.evidence_data == {"ip": "testclient", "user_agent": "pytest-browser/1.0"}
    assert inbox.messages == []


def test_after_a_hard_opt_out_opting_back_in_needs_the_emailed_confirmation(ledger, client, inbox):
    ada = make_contact(ledger, locale="en-GB")
    page = unsubscribe_path(ledger, ada)
    client.post(page, data={"action": "unsubscribe", "level": ADA, "channels": "email"})
    response = client.post(page, data={"action": "opt_in", "level": ADA, "channels": "email"})
    assert "We sent a confirmation message" in response.text
    assert ledger.check(sender("acme"), ada.id, "email", ADA).reason is Reason.HARD_OPT_OUT
    inbox.wait_for(1)
    mail = inbox.messages[0]
    assert mail["To"] == "ada@example.com"
    assert "confirm" in mail["Subject"].lower()
    assert mail.get_body(preferencelist=("html",)) is not None
    confirm = inbox.link()
    assert confirm.startswith("/confirm/")

    before = event_count(ledger)
    shown = client.get(confirm)
    assert shown.status_code == 200 and "Yes, confirm" in shown.text
    assert event_count(ledger) == before  # the GET changed nothing

    done = client.post(confirm, headers={"User-Agent": "Firefox/140"})
    assert done.status_code == 200 and "is confirmed" in done.text
    assert ledger.check(sender("acme"), ada.id, "email", ADA).allowed
    last = ledger.history(admin(), ada.id)[-1]
    assert (last.action, last.source) == (Action.CONFIRMED, Source.CONFIRMATION_LINK)
    assert last.evidence_data == {"ip": "testclient", "user_agent": "Firefox/140"}
    assert client.post(confirm).status_code == 200  # a second POST changes nothing
    assert ledger.history(admin(), ada.id)[-1] == last


def test_the_confirmation_message_is_the_only_one_allowed_to_an_opted_out_contact(
    ledger, client, inbox
):
    ada = make_contact(ledger)
    page = unsubscribe_path(ledger, ada)
    client.post(page, data={"List-Unsubscribe": "One-Click"})
    assert not ledger.check(
        sender("acme"), ada.id, "email", ADA, category=Category.OPT_IN_CONFIRMATION
    ).allowed
    client.post(page, data={"action": "opt_in", "level": ADA, "channels": "email"})
    confirmation = ledger.check(
        sender("acme"), ada.id, "email", ADA, category=Category.OPT_IN_CONFIRMATION
    )
    assert confirmation.allowed
    assert not ledger.check(sender("acme"), ada.id, "email", ADA).allowed
    inbox.wait_for(1)


def test_no_confirmation_email_goes_to_a_bounced_address(ledger, client, inbox):
    ada = make_contact(ledger)
    page = unsubscribe_path(ledger, ada)
    client.post(page, data={"List-Unsubscribe": "One-Click"})
    ledger.record_bounce(sender("acme"), ada.id, "email", evidence={"smtp": "550 no such user"})
    client.post(page, data={"action": "opt_in", "level": ADA, "channels": "email"})
    assert inbox.messages == []


def test_double_opt_in_goes_pending_then_opted_in_on_confirmation(ledger, client, inbox):
    ada = make_contact(ledger, email="newbie@example.com", locale="es")
    event = ledger.request_double_opt_in(staff(), ada.id, "email", ADA, evidence={"form": "signup"})
    assert event.action is Action.CONFIRMATION_REQUESTED
    assert ledger.check(sender("acme"), ada.id, "email", ADA).reason is Reason.PENDING
    inbox.wait_for(1)
    assert "Confirme" in inbox.messages[0]["Subject"]
    response = client.post(inbox.link())
    assert response.status_code == 200 and 'lang="es"' in response.text
    assert ledger.check(sender("acme"), ada.id, "email", ADA).reason is Reason.OPTED_IN


def test_an_unconfirmed_request_expires_and_leaves_the_status_as_it_was(
    ledger, client, inbox, clock
):
    ada = make_contact(ledger)
    ledger.request_double_opt_in(staff(), ada.id, "email", ADA)
    inbox.wait_for(1)
    link = inbox.link()
    clock.set(clock.now() + timedelta(days=7))
    assert ledger.check(sender("acme"), ada.id, "email", ADA).reason is Reason.NO_CONSENT
    response = client.post(link)
    assert response.status_code == 410 and "link_expired" in response.text
    assert ledger.expire_confirmations(system()) == 1
    assert ledger.history(admin(), ada.id)[-1].action is Action.CONFIRMATION_EXPIRED
    assert ledger.status_at(admin(), ada.id, "email", ADA, at=clock.now()).status is Status.NONE
    assert ledger.expire_confirmations(system()) == 0  # nothing left to sweep


def test_an_expired_opt_back_in_leaves_the_hard_opt_out(ledger, client, inbox, clock):
    ada = make_contact(ledger)
    page = unsubscribe_path(ledger, ada)
    client.post(page, data={"List-Unsubscribe": "One-Click"})
    client.post(page, data={"action": "opt_in", "level": ADA, "channels": "email"})
    inbox.wait_for(1)
    clock.set(clock.now() + timedelta(days=8))
    assert ledger.expire_confirmations(system()) == 1
    assert ledger.check(sender("acme"), ada.id, "email", ADA).reason is Reason.HARD_OPT_OUT
    with pytest.raises(LinkExpired) as caught:
        ledger.confirm_link(inbox.link().rsplit("/", 1)[1], evidence={"ip": "x"})
    assert caught.value.code == "link_expired"


def test_an_old_confirmation_link_cannot_lift_a_later_opt_out(ledger, client, inbox):
    ada = make_contact(ledger)
    page = unsubscribe_path(ledger, ada)
    client.post(page, data={"List-Unsubscribe": "One-Click"})
    client.post(page, data={"action": "opt_in", "level": ADA, "channels": "email"})
    inbox.wait_for(1)
    confirm = inbox.link()
    assert client.post(confirm).status_code == 200
    client.post(page, data={"List-Unsubscribe": "One-Click"})  # out again, by the contact
    before = event_count(ledger)
    response = client.post(confirm)
    assert response.status_code == 409 and "invalid_transition" in response.text
    assert event_count(ledger) == before
    assert ledger.check(sender("acme"), ada.id, "email", ADA).reason is Reason.HARD_OPT_OUT
