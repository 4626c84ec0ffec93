"""Erasing a contact (GDPR Art. 17; decision 072): the person gone, the proof kept, on both
databases."""

from __future__ import annotations

import pytest

from consentry.core.contacts import ContactDetails, ContactFilter
from consentry.core.eligibility import Reason
from consentry.core.errors import ConsentryError
from consentry.core.events import Action
from consentry.core.evidence import Attachment
from consentry.ledger import Ledger
from tests.factories import (
    WRITTEN,
    admin,
    count_rows,
    make_contact,
    receive_text,
    sender,
    sql,
    staff,
    system,
    viewer,
)

PDF = b"%PDF-1.4 the signed permission"


def code(call) -> str:
    with pytest.raises(ConsentryError) as info:
        call()
    return info.value.code


def personal_copies(ledger: Ledger, contact_id: str) -> dict[str, int]:
    """The rows still holding the contact's personal data, per place."""
    before_erasure = "SELECT count(*) FROM events WHERE contact_id = :c AND action <> 'erased'"
    queries = {
        "evidence": f"{before_erasure} AND evidence IS NOT NULL",
        "salts": f"{before_erasure} AND evidence_salt IS NOT NULL",
        "files": "SELECT count(*) FROM evidence_files WHERE contact_id = :c",
        "outbox": "SELECT count(*) FROM outbox WHERE contact_id = :c",
        "lists": "SELECT count(*) FROM contact_lists WHERE contact_id = :c",
        "details": "SELECT count(*) FROM contacts WHERE id = :c AND (email IS NOT NULL OR "
        "mobile IS NOT NULL OR name IS NOT NULL OR external_id IS NOT NULL OR "
        "postal_address IS NOT NULL OR locale IS NOT NULL)",
    }
    return {place: sql(ledger, q, c=contact_id)[0][0] for place, q in queries.items()}


def test_erasure_removes_the_person_everywhere_and_keeps_the_chain(numbers):
    ada = make_contact(
        numbers, name="Ada Lovelace", external_id="crm-1", lists=["vip"],
        postal_address="12 St James's Square", attributes={"plan": "gold"}, locale="en-GB",
    )  # fmt: skip
    copy = Attachment("permission.pdf", "application/pdf", PDF)
    numbers.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN, attachment=copy)
    numbers.opt_in(staff(), ada.id, "email", "acme", evidence=WRITTEN)
    receive_text(numbers, "SM1", "STOP")  # an opt-out and its reply in the outbox
    bob = make_contact(numbers, "bob@example.com", "+447700900456")
    numbers.opt_in(staff(), bob.id, "email", "acme", evidence=WRITTEN)
    before = personal_copies(numbers, ada.id)
    assert all(before.values()), before

    erasure = numbers.erase_contact(admin(), ada.id, reference="ticket 4711")

    assert personal_copies(numbers, ada.id) == dict.fromkeys(before, 0)
    assert personal_copies(numbers, bob.id)["evidence"] == 1  # nobody else's data is touched
    removed = erasure.removed
    assert removed is not None and not erasure.already_erased
    assert (removed.evidence, removed.files, removed.outbox) == (3, 1, 1)
    gone = numbers.get_contact(viewer(), ada.id)
    assert gone == erasure.contact and gone.erased_at is not None
    assert gone.attributes == {} and gone.lists == frozenset() and gone.created_at
    assert [(e.action, e.channel.value, e.reason) for e in erasure.events] == [
        (Action.ERASED, "email", "gdpr_art_17"), (Action.ERASED, "sms", "gdpr_art_17"),
    ]  # fmt: skip
    assert erasure.events[0].evidence_data == {"reference": "ticket 4711"}
    report = numbers.verify(system())
    assert report.ok, report.problems
    assert (report.erased, report.erased_evidence) == (1, 3)
    assert numbers.verify_contact(viewer(), ada.id).ok
    assert numbers.check(sender(), ada.id, "email", "acme").reason is Reason.NO_ADDRESS


def test_an_erased_person_stays_suppressed_when_created_or_imported_again(ledger):
    ada = make_contact(ledger)
    ledger.erase_contact(admin(), ada.id)
    before = count_rows(ledger)
    assert code(lambda: make_contact(ledger, "ADA@example.com", None)) == "contact_erased"
    assert code(lambda: make_contact(ledger, None, "+44 7700 900123")) == "contact_erased"
    assert count_rows(ledger) == before
    assert ledger.find_contact(viewer(), email="ada@example.com").id == ada.id  # by its key
    assert ledger.list_contacts(viewer(), ContactFilter(email="ada@example.com")) == []


def test_erasing_twice_records_nothing_more(ledger):
    ada = make_contact(ledger)
    first = ledger.erase_contact(admin(), ada.id)
    events = count_rows(ledger)["events"]
    again = ledger.erase_contact(admin(), ada.id)
    assert again.already_erased and again.events == () and again.removed is None
    assert again.contact == first.contact
    assert count_rows(ledger)["events"] == events == 1  # an empty chain: one erasure event
    assert ledger.verify(system()).erased == 1


def test_only_an_admin_of_the_whole_group_may_erase(ledger):
    ada = make_contact(ledger)
    before = count_rows(ledger)
    assert code(lambda: ledger.erase_contact(staff(), ada.id)) == "forbidden"
    assert code(lambda: ledger.erase_contact(admin("acme/newsletters"), ada.id)) == "out_of_scope"
    assert code(lambda: ledger.erase_contact(admin("globex"), ada.id)) == "contact_not_found"
    too_long = "x" * 10_000
    assert code(lambda: ledger.erase_contact(admin(), ada.id, reference=too_long)) == (
        "text_too_long"
    )
    assert count_rows(ledger) == before
    ledger.update_contact(staff(), ada.id, ContactDetails(name="still here"))


def test_evidence_removed_without_an_erasure_is_tampering(ledger):
    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "email", "acme", evidence=WRITTEN)
    bob = make_contact(ledger, "bob@example.com", "+447700900456")
    ledger.opt_in(staff(), bob.id, "email", "acme", evidence=WRITTEN)
    ledger.erase_contact(admin(), ada.id)
    sql(ledger, "UPDATE events SET evidence = NULL, evidence_salt = NULL WHERE contact_id = :c",
        c=bob.id)  # fmt: skip
    report = ledger.verify(system())
    assert [(p.kind, p.contact_id, p.seq) for p in report.problems] == [("altered", bob.id, 1)]
    assert "not erased" in report.problems[0].detail
    assert report.erased == 1
