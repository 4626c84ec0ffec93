"""Missed journey messages in the staff app (issue 10, seed 000; decision 078): the list with
its re-send, the contact profile's section, on SQLite and PostgreSQL, and in real headless
Chromium at 1280 and 390 px (axe)."""

from __future__ import annotations

import re

import pytest

from tests.browser import look
from tests.factories import WRITTEN, admin, make_contact, sender
from tests.staff.conftest import DESKTOP, PHONE, signed_in


def missed_birthday(ledger, contact_id: str, message_id: str = "b-1"):
    """A birthday message missed for want of consent; the contact opted in afterwards."""
    found = ledger.report_journey_message(
        sender(), contact_id, "email", "acme", journey="birthday", message_id=message_id
    )
    ledger.opt_in(admin(), contact_id, "email", "acme", evidence=WRITTEN)
    return found


def test_staff_see_the_missed_message_and_ask_for_a_resend_once(staff, ledger):
    ada = make_contact(ledger, name="Ada Lovelace")
    missed = missed_birthday(ledger, ada.id)
    staff.sign_in("staff")
    page = staff.client.get("/journeys/missed")
    assert page.status_code == 200 and "Ada Lovelace" in page.text and "no consent" in page.text
    action = f"/journeys/missed/{missed.id}/resend"
    assert f'action="{action}"' in page.text
    done = staff.client.post(
        action, data={"csrf": staff.csrf("/journeys/missed"), "back": "list"},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/journeys/missed?resent=1"
    after = staff.client.get("/journeys/missed?resent=1")
    assert "Re-send requested" in after.text and f'action="{action}"' not in after.text
    assert ledger.get_journey_message(admin(), missed.id).resend is not None
    again = staff.client.post(action, data={"csrf": staff.csrf(), "back": "list"})
    assert again.status_code == 409 and "resend_already_requested" in again.text


def test_the_profile_lists_the_contacts_missed_messages_and_resends_back_to_it(staff, ledger):
    ada = make_contact(ledger, name="Ada Lovelace")
    missed = missed_birthday(ledger, ada.id)
    staff.sign_in("admin")
    profile = staff.client.get(f"/contacts/{ada.id}")
    assert "Missed journey messages" in profile.text and "birthday" in profile.text
    done = staff.client.post(
        f"/journeys/missed/{missed.id}/resend",
        data={"csrf": staff.csrf(f"/contacts/{ada.id}"), "back": "profile"},
        follow_redirects=False,
    )
    assert done.headers["location"] == f"/contacts/{ada.id}#missed"
    assert "Requested" in staff.client.get(f"/contacts/{ada.id}").text


def test_a_viewer_gets_no_resend_button_and_is_refused(staff, ledger):
    ada = make_contact(ledger)
    missed = missed_birthday(ledger, ada.id)
    staff.sign_in("viewer")
    page = staff.client.get("/journeys/missed")
    assert missed.journey in page.text and "resend" not in page.text
    refused = staff.client.post(
        f"/journeys/missed/{missed.id}/resend", data={"csrf": staff.csrf(), "back": "list"}
    )
    assert refused.status_code == 403 and "forbidden" in refused.text
    assert ledger.get_journey_message(admin(), missed.id).resend is None


def test_the_resend_form_refuses_a_missing_or_wrong_csrf_token(staff, ledger):
    ada = make_contact(ledger)
    missed = missed_birthday(ledger, ada.id)
    staff.sign_in("staff")
    for token in ({}, {"csrf": ""}, {"csrf": "0" * 64}):
        refused = staff.client.post(f"/journeys/missed/{missed.id}/resend", data=token)
        assert refused.status_code == 403 and "forbidden" in refused.text
    assert ledger.get_journey_message(admin(), missed.id).resend is None


def test_the_list_filters_and_pages(staff, ledger):
    ada = make_contact(ledger)
    for n in range(3):
        ledger.report_journey_message(
            sender(), ada.id, "email", "acme", journey="welcome" if n else "birthday",
            message_id=f"m-{n}",
        )  # fmt: skip
    staff.sign_in("staff")
    welcome = staff.client.get("/journeys/missed", params={"journey": "welcome"})
    assert welcome.text.count('<td data-label="Journey">welcome</td>') == 2
    assert '<td data-label="Journey">birthday</td>' not in welcome.text
    other = staff.client.get("/journeys/missed", params={"channel": "sms"})
    assert "No missed journey messages." in other.text
    bad = staff.client.get("/journeys/missed", params={"journey": "a\nb"})
    assert bad.status_code == 422 and "invalid_text" in bad.text


@pytest.mark.browser
@pytest.mark.parametrize("site", ["sqlite"], indirect=True)  # the pages; both DBs above
@pytest.mark.parametrize(("viewport", "size"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_staff_resend_a_missed_birthday_in_chromium(site, browser, viewport, size):
    bea = make_contact(site.ledger, f"bea-{size}@example.com", None, name=f"Bea {size}")
    missed = missed_birthday(site.ledger, bea.id, f"b-{size}")  # her own: the site is shared
    page = signed_in(browser, site, "staff", viewport)
    page.get_by_role("link", name="Journeys").click()
    page.wait_for_url("**/journeys/missed")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    look(page, f"staff-journeys-missed-{size}.png")
    label = re.compile(f"Re-send the birthday message of {missed.triggered_at:%Y-%m-%d}")
    page.get_by_role("button", name=label).first.click()
    page.wait_for_url("**/journeys/missed?resent=1")
    assert "Re-send requested" in page.get_by_role("status").inner_text()
    look(page, f"staff-journeys-resent-{size}.png")
    page.goto(f"{site.base}/contacts/{bea.id}")
    page.wait_for_selector("#missed")
    look(page, f"staff-contact-missed-{size}.png")
    page.context.close()
