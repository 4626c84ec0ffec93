"""The profile's proof-of-consent links and erasing a contact from the staff app (decisions 069,
072, 073): through the server's one app, and in real headless Chromium at 1280 and 390 px
(axe-checked), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from consentry.core.events import Action, Source
from tests.browser import look
from tests.factories import WRITTEN, admin, count_rows, make_contact
from tests.staff.conftest import DESKTOP, PEOPLE, PHONE, signed_in

TICKET = "DSR-1042"


def ada_opted_in(ledger):
    ada = make_contact(ledger, name="Ada Lovelace")
    ledger.opt_in(admin(), ada.id, "email", "acme", evidence=WRITTEN)
    return ada


def erase(staff, contact_id, **data):
    """Post the erase form with the session's CSRF token (``csrf=None`` leaves it out)."""
    form = {"csrf": staff.csrf(f"/contacts/{contact_id}"), "confirm": "yes", **data}
    form = {k: v for k, v in form.items() if v is not None}
    return staff.client.post(f"/contacts/{contact_id}/erase", data=form, follow_redirects=False)


def unchanged(ledger, contact_id, before):
    """Nothing was written: the same rows, the contact not erased."""
    assert count_rows(ledger) == before
    assert ledger.get_contact(admin(), contact_id).erased_at is None


# ── the proof of consent from the profile ──
def test_the_profile_links_to_the_proof_of_consent_and_its_pdf(staff, ledger):
    ada = ada_opted_in(ledger)
    staff.sign_in("viewer")
    html = staff.client.get(f"/contacts/{ada.id}").text
    history = html.split('id="history-h"', 1)[1]
    assert f'<a href="/contacts/{ada.id}/proof">Proof of consent</a>' in history
    assert f'<a href="/contacts/{ada.id}/proof.pdf">PDF<span' in history
    assert history.index('id="chain-verdict"') < history.index("/proof")  # beside the verdict
    proof = staff.client.get(f"/contacts/{ada.id}/proof")
    assert proof.status_code == 200 and "Proof of consent: Ada Lovelace" in proof.text


# ── erasing ──
def test_an_admin_erases_a_contact_after_confirming(staff, ledger):
    ada = ada_opted_in(ledger)
    staff.sign_in("admin")
    profile = staff.client.get(f"/contacts/{ada.id}").text
    assert f'href="/contacts/{ada.id}/erase">Erase contact</a>' in profile
    page = staff.client.get(f"/contacts/{ada.id}/erase")
    assert page.status_code == 200 and "<h1>Erase contact: Ada Lovelace</h1>" in page.text
    assert 'name="confirm" value="yes" required' in page.text and 'name="reference"' in page.text
    done = erase(staff, ada.id, reference=f"  {TICKET} ")
    assert (done.status_code, done.headers["location"]) == (
        303, f"/contacts/{ada.id}?updated=erased",
    )  # fmt: skip
    erased = ledger.get_contact(admin(), ada.id)
    assert erased.erased_at is not None and erased.email is None and erased.name is None
    opted_in, last = ledger.history(admin(), ada.id)
    assert opted_in.evidence is None and opted_in.evidence_commitment  # erased, committed
    assert (last.action, last.source, last.recorded_by, last.evidence_data) == (
        Action.ERASED, Source.ADMIN_UI, PEOPLE["admin"][0], {"reference": TICKET},
    )  # fmt: skip
    assert ledger.verify(admin()).ok


def test_the_erased_profile_says_so_and_offers_no_controls(staff, ledger):
    ada = ada_opted_in(ledger)
    staff.sign_in("admin")
    erase(staff, ada.id)
    html = staff.client.get(f"/contacts/{ada.id}?updated=erased").text
    assert '<p class="notice" role="status">Contact erased</p>' in html
    assert "<h1>Erased contact</h1>" in html and "Erased at" in html
    assert "ada@example.com" not in html and "Ada Lovelace" not in html
    assert '<span class="evidence-erased">Erased</span>' in html  # the opt-in's evidence
    assert "/erase" not in html and "/preferences" not in html and "/opt-in?" not in html
    assert "The evidence chain verifies: 2 events" in html
    assert f'href="/contacts/{ada.id}/proof"' in html  # the proof is still there


def test_erasing_again_records_nothing_and_says_so(staff, ledger):
    ada = ada_opted_in(ledger)
    staff.sign_in("admin")
    erase(staff, ada.id)
    before = count_rows(ledger)
    page = staff.client.get(f"/contacts/{ada.id}/erase").text
    assert "There is nothing more to erase" in page and 'name="confirm"' not in page
    again = staff.client.post(
        f"/contacts/{ada.id}/erase", data={"csrf": staff.csrf(), "confirm": "yes"}
    )
    assert "Nothing changed: the contact had been erased already" in again.text
    assert count_rows(ledger) == before


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        ({"confirm": None}, 422, "invalid"),
        ({"confirm": "no"}, 422, "invalid"),
        ({"reference": "x" * 65}, 422, "text_too_long"),
        ({"reference": "DSR\x001042"}, 422, "invalid_text"),
    ],
)
def test_erasing_needs_the_tick_and_a_short_reference(staff, ledger, data, status, code):
    ada = ada_opted_in(ledger)
    staff.sign_in("admin")
    before = count_rows(ledger)
    refused = erase(staff, ada.id, **data)
    assert refused.status_code == status and code in refused.text
    assert f'href="/contacts/{ada.id}"' in refused.text  # "Go back" to the contact
    unchanged(ledger, ada.id, before)


@pytest.mark.parametrize(
    ("who", "code"),
    [("staff", "forbidden"), ("viewer", "forbidden"), ("client_admin", "out_of_scope")],
)
def test_only_an_admin_of_the_group_is_offered_erasure_and_others_are_refused(
    staff, ledger, who, code
):
    ada = ada_opted_in(ledger)
    staff.sign_in(who)
    profile = staff.client.get(f"/contacts/{ada.id}").text
    assert "Erase contact" not in profile and "/erase" not in profile
    assert staff.client.get(f"/contacts/{ada.id}/erase").status_code == 403
    before = count_rows(ledger)
    refused = erase(staff, ada.id, reference=TICKET)
    assert refused.status_code == 403 and code in refused.text
    unchanged(ledger, ada.id, before)


def test_another_groups_admin_cannot_find_the_contact_to_erase(staff, ledger):
    ada = ada_opted_in(ledger)
    staff.sign_in("globex")
    before = count_rows(ledger)
    assert staff.client.get(f"/contacts/{ada.id}/erase").status_code == 404
    refused = erase(staff, ada.id)
    assert refused.status_code == 404 and "contact_not_found" in refused.text
    unchanged(ledger, ada.id, before)


@pytest.mark.parametrize("csrf", [None, "", "0" * 64])
def test_the_erase_form_refuses_a_missing_or_wrong_csrf_token(staff, ledger, csrf):
    ada = ada_opted_in(ledger)
    staff.sign_in("admin")
    before = count_rows(ledger)
    data = {"confirm": "yes"} if csrf is None else {"confirm": "yes", "csrf": csrf}
    refused = staff.client.post(f"/contacts/{ada.id}/erase", data=data)
    assert refused.status_code == 403 and "forbidden" in refused.text
    unchanged(ledger, ada.id, before)


def test_erasing_needs_a_session(staff, ledger):
    ada = ada_opted_in(ledger)
    for answer in (
        staff.client.get(f"/contacts/{ada.id}/erase", follow_redirects=False),
        staff.client.post(f"/contacts/{ada.id}/erase", data={"confirm": "yes"},
                          follow_redirects=False),
    ):  # fmt: skip
        assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in")
    assert ledger.get_contact(admin(), ada.id).erased_at is None


# ── in the browser ──
@pytest.mark.browser
@pytest.mark.parametrize(
    ("viewport", "size", "mobile"),
    [(DESKTOP, "desktop", "+447700900130"), (PHONE, "phone", "+447700900131")],
)
def test_an_admin_erases_a_contact_in_chromium(site, browser, viewport, size, mobile):
    dee = make_contact(site.ledger, email=f"dee-{size}@example.com", mobile=mobile, name="Dee")
    site.ledger.opt_in(admin(), dee.id, "email", "acme", evidence=WRITTEN)
    page = signed_in(browser, site, "admin", viewport)
    page.goto(f"{site.base}/contacts/{dee.id}")
    assert page.get_by_role("link", name="Proof of consent", exact=True).count() == 1
    pdf = page.get_by_role("link", name="PDF of the proof of consent")
    assert pdf.get_attribute("href") == f"/contacts/{dee.id}/proof.pdf"
    look(page, f"staff-profile-erase-{size}.png")
    page.get_by_role("link", name="Erase contact").click()
    page.wait_for_url(f"**/contacts/{dee.id}/erase")
    assert page.title() == "Erase contact: Dee · Consentry"
    page.get_by_label("Reference of the erasure request (optional)").fill(TICKET)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    look(page, f"staff-erase-confirm-{size}.png")
    page.get_by_role("button", name="Erase contact").click()  # not ticked: the browser stops it
    assert page.url.endswith("/erase")
    assert page.locator("#confirm").evaluate("e => e.validity.valueMissing")
    page.get_by_label("I understand this cannot be undone").check()
    page.get_by_role("button", name="Erase contact").click()
    page.wait_for_url(f"**/contacts/{dee.id}?updated=erased")
    assert page.get_by_role("status").inner_text() == "Contact erased"
    assert page.locator("h1").inner_text() == "Erased contact"
    assert page.get_by_role("link", name="Erase contact").count() == 0
    assert page.locator("form[action$='/preferences']").count() == 0
    assert page.locator(".evidence-erased").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    look(page, f"staff-contact-erased-{size}.png")
    assert site.ledger.get_contact(admin(), dee.id).erased_at is not None
    assert site.ledger.history(admin(), dee.id)[-1].evidence_data == {"reference": TICKET}
    page.context.close()
