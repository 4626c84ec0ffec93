"""One contact's chain and projection verified on its own (the profile's verdict)."""

from __future__ import annotations

import pytest

from consentry.core.errors import ContactNotFound, Forbidden
from consentry.core.permissions import Principal, Role
from tests.factories import WRITTEN, admin, make_contact, sql, viewer


def test_one_contacts_verdict_names_only_its_own_problems(ledger):
    ada = make_contact(ledger)
    bob = make_contact(ledger, email="bob@example.com", mobile="+447700900124")
    for c in (ada, bob):
        ledger.opt_in(admin(), c.id, "email", "acme", evidence=WRITTEN)
        ledger.opt_out(admin(), c.id, "sms", "acme")
    assert ledger.verify_contact(viewer(), ada.id).checked == 2
    sql(
        ledger,
        "UPDATE consents SET status = 'opted_in' WHERE contact_id = :c AND channel = 'sms'",
        c=bob.id,
    )
    bobs = ledger.verify_contact(viewer(), bob.id)
    assert not bobs.ok and {p.contact_id for p in bobs.problems} == {bob.id}
    assert bobs.first.kind == "projection_altered"
    adas = ledger.verify_contact(viewer(), ada.id)
    assert adas.ok and adas.checked == 2 and adas.rows == 2
    assert len(ledger.verify(admin()).problems) == len(bobs.problems)


def test_a_contact_of_another_group_is_not_found_and_a_sender_may_not_ask(ledger):
    ada = make_contact(ledger)
    with pytest.raises(ContactNotFound):
        ledger.verify_contact(viewer("globex"), ada.id)
    with pytest.raises(Forbidden):
        ledger.verify_contact(Principal(Role.SENDER, "acme", "key"), ada.id)
