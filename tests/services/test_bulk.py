"""Bulk unsubscribe and re-subscribe as a use case (seeds/002), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from consentry.core.errors import Forbidden, Invalid, OutOfScope, TooManyItems
from consentry.core.events import Action, Source, Strength
from consentry.ledger.bulk import MAX_BULK, BulkAction, BulkResult
from tests.factories import WRITTEN, admin, as_contact, count_rows, make_contact, staff


def people(ledger):
    ada = make_contact(ledger)
    bob = make_contact(ledger, email="bob@example.com", mobile="+447700900124")
    cy = make_contact(ledger, email="cy@example.com", mobile="+447700900125")
    return ada, bob, cy


def test_a_bulk_unsubscribe_is_soft_and_skips_who_is_already_out(ledger):
    ada, bob, cy = people(ledger)
    ledger.opt_out(as_contact(bob), bob.id, "sms", "acme", source=Source.UNSUBSCRIBE_LINK)
    outcomes = ledger.bulk_change(
        admin(), [ada.id, bob.id, cy.id, ada.id], ["sms", "email"], "acme",
        action=BulkAction.UNSUBSCRIBE,
    )  # fmt: skip
    assert [(o.contact_id, o.channel.value, o.result) for o in outcomes] == [
        (ada.id, "sms", BulkResult.CHANGED), (ada.id, "email", BulkResult.CHANGED),
        (bob.id, "sms", BulkResult.UNCHANGED), (bob.id, "email", BulkResult.CHANGED),
        (cy.id, "sms", BulkResult.CHANGED), (cy.id, "email", BulkResult.CHANGED),
    ]  # fmt: skip
    event = ledger.history(admin(), ada.id)[-1]
    assert (event.action, event.strength, event.source) == (
        Action.OPTED_OUT, Strength.SOFT, Source.ADMIN_UI,
    )  # fmt: skip
    assert {o.event_id for o in outcomes if o.result is BulkResult.CHANGED} == {
        e.id for c in (ada, bob, cy) for e in ledger.history(admin(), c.id)
        if e.source is Source.ADMIN_UI
    }  # fmt: skip


def test_a_bulk_re_subscribe_never_lifts_a_hard_opt_out(ledger):
    ada, bob, cy = people(ledger)
    ledger.opt_out(admin(), ada.id, "sms", "acme")
    ledger.opt_out(as_contact(bob), bob.id, "sms", "acme", source=Source.UNSUBSCRIBE_LINK)
    outcomes = ledger.bulk_change(
        admin(), [ada.id, bob.id, cy.id], ["sms"], "acme",
        action="resubscribe", reason="contact_asked", evidence=WRITTEN,
    )  # fmt: skip
    by_contact = {o.contact_id: o for o in outcomes}
    assert by_contact[ada.id].result is BulkResult.CHANGED
    assert (by_contact[bob.id].result, by_contact[bob.id].code) == (
        BulkResult.REFUSED, "hard_opt_out_locked",
    )  # fmt: skip
    assert by_contact[cy.id].result is BulkResult.REFUSED and by_contact[cy.id].message
    assert ledger.check(admin(), bob.id, "sms", "acme").reason.value == "hard_opt_out"


def test_only_admins_within_their_scope_start_a_bulk_change(ledger):
    ada, _, _ = people(ledger)
    before = count_rows(ledger)
    with pytest.raises(Forbidden):
        ledger.bulk_change(staff(), [ada.id], ["sms"], "acme", action="unsubscribe")
    with pytest.raises(OutOfScope):
        ledger.bulk_change(admin("acme/events"), [ada.id], ["sms"], "acme", action="unsubscribe")
    with pytest.raises(TooManyItems):
        ledger.bulk_change(
            admin(), ["ct_x"] * (MAX_BULK + 1), ["sms"], "acme", action="unsubscribe"
        )
    assert count_rows(ledger) == before


@pytest.mark.parametrize(("contacts", "channels"), [([], ["sms"]), (["ct_x"], [])])
def test_a_bulk_change_needs_a_contact_and_a_channel(ledger, contacts, channels):
    with pytest.raises(Invalid) as caught:
        ledger.bulk_change(admin(), contacts, channels, "acme", action="unsubscribe")
    assert caught.value.code == "invalid"
