"""Bulk unsubscribe / re-subscribe in the staff web app (seeds/002): pick in the table, add by
search in the dialog, choose the channels; the result lists who changed and who was refused."""

from __future__ import annotations

from consentry.core.events import Source
from tests.factories import admin, as_contact, count_rows, make_contact

EVIDENCE = {
    "written_permission": "email",
    "given_at": "2026-01-02",
    "reference": "Emails of 2 January asking to be put back",
}


def test_the_table_offers_bulk_actions_to_admins_only(staff, ledger):
    make_contact(ledger)
    staff.sign_in("admin")
    assert "Unsubscribe the chosen" in staff.client.get("/contacts").text
    staff.client.cookies.clear()
    staff.sign_in("staff")
    html = staff.client.get("/contacts").text
    assert "Unsubscribe the chosen" not in html and 'name="contact"' not in html


def test_a_bulk_re_subscribe_with_one_hard_opt_out_refused(staff, ledger):
    ada = make_contact(ledger, name="Ada")
    bob = make_contact(ledger, email="bob@example.com", mobile="+447700900124", name="Bob")
    cy = make_contact(ledger, email="cy@example.com", mobile="+447700900125", name="Cy")
    for c in (ada, cy):
        ledger.opt_out(admin(), c.id, "sms", "acme")
    ledger.opt_out(as_contact(bob), bob.id, "sms", "acme", source=Source.UNSUBSCRIBE_LINK)
    staff.sign_in("admin")
    dialog = staff.client.get(
        "/bulk", params=[("action", "resubscribe"), ("contact", ada.id), ("contact", bob.id)]
    )
    assert dialog.status_code == 200 and "<h1>Re-subscribe contacts</h1>" in dialog.text
    assert 'name="reason"' in dialog.text and 'name="reference"' in dialog.text
    found = staff.client.get(
        "/bulk",
        params=[("action", "resubscribe"), ("contact", ada.id), ("contact", bob.id),
                ("q", "cy@example.com")],
    )  # fmt: skip
    assert f"contact={cy.id}" in found.text  # the Add link keeps Ada and Bob and adds Cy
    form = {
        "csrf": staff.csrf(), "action": "resubscribe", "contact": [ada.id, bob.id, cy.id],
        "channels": ["sms"], "reason": "mistaken_unsubscribe", **EVIDENCE,
    }  # fmt: skip
    done = staff.client.post("/bulk", data=form)
    assert done.status_code == 200
    assert "2 changed, 0 already opted out, 1 refused." in done.text
    refused = done.text.split('class="refused"', 1)[1].split("</tr>", 1)[0]
    assert "Bob" in refused and "hard_opt_out_locked" in refused
    for c, allowed in ((ada, True), (bob, False), (cy, True)):
        assert ledger.check(admin(), c.id, "sms", "acme").allowed is allowed


def test_staff_posting_a_bulk_change_gets_403_and_nothing_changes(staff, ledger):
    ada = make_contact(ledger)
    staff.sign_in("staff")
    before = count_rows(ledger)
    answer = staff.client.post(
        "/bulk",
        data={"csrf": staff.csrf(), "action": "unsubscribe", "contact": [ada.id],
              "channels": ["sms"]},
    )  # fmt: skip
    assert answer.status_code == 403 and "forbidden" in answer.text
    assert count_rows(ledger) == before


def test_a_bulk_change_refuses_a_missing_csrf_token(staff, ledger):
    ada = make_contact(ledger)
    staff.sign_in("admin")
    before = count_rows(ledger)
    answer = staff.client.post(
        "/bulk", data={"action": "unsubscribe", "contact": [ada.id], "channels": ["sms"]}
    )
    assert answer.status_code == 403 and "forbidden" in answer.text
    assert count_rows(ledger) == before
