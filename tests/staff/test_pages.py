"""The staff web app through the real app: signing in, the contacts table with its Opt-In Status
column, the profile's global opt-in preferences, and the refusals, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from consentry.core.events import Action, Source, Strength
from tests.factories import WRITTEN, admin, as_contact, count_rows, make_contact, sender, sql
from tests.staff.conftest import PEOPLE, csrf_of

EVIDENCE = {
    "written_permission": "email",
    "given_at": "2026-01-02",
    "reference": "Email of 2 January: 'Yes, please text me offers.'",
}


def icon(html: str, contact_id: str, text: str) -> str:
    """The class of the icon with that hover text in a contact's row (or the profile)."""
    row = html.split(f'href="/contacts/{contact_id}"', 1)[1].split("</tr>", 1)[0]
    shown = re.escape(str(escape(text)))  # as the page writes it: & and ' escaped
    found = re.search(rf'<span class="optin (optin-[a-z-]+)" title="{shown}"', row)
    assert found, f"no icon {text!r} in the row of {contact_id}"
    return found.group(1)


# ── signing in ──
def test_the_app_opens_on_the_sign_in_page(staff):
    first = staff.client.get("/", follow_redirects=False)
    assert (first.status_code, first.headers["location"]) == (303, "/contacts")
    second = staff.client.get("/contacts", follow_redirects=False)
    assert second.status_code == 303
    assert second.headers["location"] == "/sign-in?next=/contacts"
    page = staff.client.get("/sign-in")
    assert page.status_code == 200
    assert "<h1>Sign in</h1>" in page.text and 'autocomplete="current-password"' in page.text


def test_signing_in_sets_a_secure_http_only_strict_cookie(staff):
    answer = staff.sign_in("admin")
    assert (answer.status_code, answer.headers["location"]) == (303, "/contacts")
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith("consentry_staff=")
    for flag in ("secure", "httponly", "samesite=strict", "path=/"):
        assert flag in cookie, cookie
    page = staff.client.get("/contacts")
    assert page.status_code == 200 and "<h1>Contacts</h1>" in page.text
    assert "Admin" in page.text and "Sign out" in page.text


def test_a_wrong_password_and_an_unknown_person_get_the_same_answer(staff):
    wrong = staff.sign_in("admin", password="not the password at all")
    assert wrong.status_code == 401 and "sign_in_failed" in wrong.text
    page = staff.client.get("/sign-in")
    unknown = staff.client.post(
        "/sign-in",
        data={"csrf": csrf_of(page.text), "email": "nobody@acme.example",
              "password": "whatever it is, it is wrong"},
    )  # fmt: skip
    assert unknown.status_code == 401 and "sign_in_failed" in unknown.text
    assert staff.client.get("/contacts", follow_redirects=False).status_code == 303


def test_the_sign_in_form_refuses_a_post_without_its_own_value(staff):
    staff.client.get("/sign-in")
    email, _, _ = PEOPLE["admin"]
    for csrf in (None, "forged-by-another-site"):
        data = {"email": email, "password": "correct horse battery staple"}
        if csrf:
            data["csrf"] = csrf
        answer = staff.client.post("/sign-in", data=data)
        assert answer.status_code == 403 and "forbidden" in answer.text
    assert "consentry_staff" not in staff.client.cookies


def test_sign_in_is_rate_limited(staff):
    for _ in range(10):
        assert staff.sign_in("staff", password="a wrong password, again").status_code == 401
    limited = staff.sign_in("staff")  # even the right password, once over the limit
    assert limited.status_code == 429 and "sign_in_rate_limited" in limited.text


def test_signing_out_ends_the_session(staff):
    staff.sign_in("viewer")
    old = staff.client.cookies.get("consentry_staff")
    answer = staff.client.post("/sign-out", data={"csrf": staff.csrf()}, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/sign-in")
    staff.client.cookies.set("consentry_staff", old)  # the old cookie, replayed
    assert staff.client.get("/contacts", follow_redirects=False).status_code == 303


# ── the contacts table ──
def test_the_opt_in_status_column_shows_each_channel(staff, ledger):
    ada = make_contact(ledger)
    bob = make_contact(ledger, email="bob@example.com", mobile="+447700900124")
    ledger.opt_in(admin(), ada.id, "email", "acme", evidence=WRITTEN)
    ledger.opt_out(admin(), ada.id, "sms", "acme")  # soft: an admin did it
    ledger.opt_out(as_contact(bob), bob.id, "sms", "acme", source=Source.UNSUBSCRIBE_LINK)
    staff.sign_in("viewer")
    html = staff.client.get("/contacts").text
    assert "Opt-In Status" in html
    assert icon(html, ada.id, "Subscribed to Email") == "optin-subscribed"
    assert icon(html, ada.id, "Opted out of SMS") == "optin-soft"
    assert icon(html, bob.id, "Opted out of SMS: the contact's own opt-out") == "optin-hard"
    assert icon(html, bob.id, "No opt-in for Calls & Voicemails") == "optin-none"


def test_search_finds_a_mobile_number_however_it_is_typed(staff, ledger):
    ada = make_contact(ledger)
    make_contact(ledger, email="bob@example.com", mobile="+447700900124")
    staff.sign_in("staff")
    for typed in ("07700 900123", "+44 7700 900123", "+447700900123", "ADA@example.com"):
        html = staff.client.get("/contacts", params={"q": typed}).text
        assert f'href="/contacts/{ada.id}"' in html, typed
        assert "bob@example.com" not in html, typed
    bad = staff.client.get("/contacts", params={"q": "12"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text


def test_the_unsubscribed_filter_shows_only_the_opted_out(staff, ledger):
    ada = make_contact(ledger)
    bob = make_contact(ledger, email="bob@example.com", mobile="+447700900124")
    ledger.opt_out(admin(), bob.id, "sms", "acme")
    staff.sign_in("viewer")
    html = staff.client.get("/contacts", params={"unsubscribed": "sms"}).text
    assert f'href="/contacts/{bob.id}"' in html and f'href="/contacts/{ada.id}"' not in html
    bad = staff.client.get("/contacts", params={"unsubscribed": "fax"})
    assert bad.status_code == 422 and "invalid" in bad.text


# ── the profile: global opt-in preferences ──
def test_a_staff_opt_in_needs_written_permission_then_says_contact_updated(staff, ledger):
    ada = make_contact(ledger)
    staff.sign_in("staff")
    profile = staff.client.get(f"/contacts/{ada.id}").text
    assert "Global opt-in preferences" in profile
    assert f'href="/contacts/{ada.id}/opt-in?channel=sms"' in profile  # Yes
    assert 'value="no"' not in profile  # staff may not opt out: no No is offered
    form = staff.client.get(f"/contacts/{ada.id}/opt-in", params={"channel": "sms"}).text
    assert "written permission" in form and 'name="reference"' in form
    before = count_rows(ledger)
    missing = staff.client.post(
        f"/contacts/{ada.id}/preferences",
        data={
            "csrf": staff.csrf(),
            "channel": "sms",
            "choice": "yes",
            "written_permission": "email",
        },
    )
    assert missing.status_code == 422 and "evidence_required" in missing.text
    assert count_rows(ledger) == before
    done = staff.client.post(
        f"/contacts/{ada.id}/preferences",
        data={"csrf": staff.csrf(), "channel": "sms", "choice": "yes", **EVIDENCE},
        files={"file": ("permission.eml", b"From: ada@example.com\r\n\r\nYes please.")},
    )
    assert "Contact updated" in done.text and str(done.url).endswith("?updated=1")
    event = ledger.history(admin(), ada.id)[-1]
    assert (event.action, event.source, event.recorded_by) == (
        Action.OPTED_IN, Source.ADMIN_UI, "staff@acme.example",
    )  # fmt: skip
    kept = event.evidence_data
    assert kept["reference"] == EVIDENCE["reference"] and kept["file_name"] == "permission.eml"
    assert len(kept["file_sha256"]) == 64
    assert ledger.check(sender(), ada.id, "sms", "acme").allowed


def test_a_forged_preferences_form_is_refused_and_goes_back_to_the_contact(staff, ledger):
    ada = make_contact(ledger)
    staff.sign_in("admin")
    before = count_rows(ledger)
    forged = staff.client.post(
        f"/contacts/{ada.id}/preferences",
        data={"csrf": "forged-by-another-site", "channel": "email", "choice": "no"},
    )
    assert forged.status_code == 403 and f'href="/contacts/{ada.id}">Go back' in forged.text
    assert count_rows(ledger) == before


def test_an_admin_opts_out_and_re_subscribes_with_a_reason(staff, ledger):
    ada = make_contact(ledger)
    staff.sign_in("admin")
    out = staff.client.post(
        f"/contacts/{ada.id}/preferences",
        data={"csrf": staff.csrf(), "channel": "email", "choice": "no"},
    )
    assert "Contact updated" in out.text
    assert ledger.history(admin(), ada.id)[-1].strength is Strength.SOFT
    form = staff.client.get(f"/contacts/{ada.id}/opt-in", params={"channel": "email"}).text
    assert "Re-subscribe to Email" in form and 'name="reason"' in form
    back = staff.client.post(
        f"/contacts/{ada.id}/preferences",
        data={"csrf": staff.csrf(), "channel": "email", "choice": "yes",
              "reason": "contact_asked", **EVIDENCE},
    )  # fmt: skip
    assert "Contact updated" in back.text
    assert ledger.history(admin(), ada.id)[-1].action is Action.RESUBSCRIBED


def test_a_hard_opt_out_says_why_and_offers_no_control(staff, ledger):
    ada = make_contact(ledger)
    ledger.opt_out(as_contact(ada), ada.id, "sms", "acme", source=Source.UNSUBSCRIBE_LINK)
    staff.sign_in("admin")
    html = staff.client.get(f"/contacts/{ada.id}").text
    sms = html.split('id="pref-sms"', 1)[1].split("</li>", 1)[0]
    assert "optin-hard" in sms and "Staff cannot reverse that" in sms
    assert "opt-in?channel=sms" not in sms and 'value="no"' not in sms
    refused = staff.client.post(
        f"/contacts/{ada.id}/preferences",
        data={"csrf": staff.csrf(), "channel": "sms", "choice": "yes", **EVIDENCE},
    )
    assert refused.status_code == 409 and "hard_opt_out_locked" in refused.text


def test_a_viewer_sees_no_change_controls_and_is_refused_anyway(staff, ledger):
    ada = make_contact(ledger)
    staff.sign_in("viewer")
    html = staff.client.get(f"/contacts/{ada.id}").text
    assert "Global opt-in preferences" in html and "History" in html
    assert "/opt-in?channel=" not in html and 'value="no"' not in html
    before = count_rows(ledger)
    for choice in ({"choice": "no"}, {"choice": "yes", **EVIDENCE}):
        answer = staff.client.post(
            f"/contacts/{ada.id}/preferences",
            data={"csrf": staff.csrf(), "channel": "email", **choice},
        )
        assert answer.status_code == 403 and "forbidden" in answer.text
    assert count_rows(ledger) == before


def test_staff_posting_the_admins_no_gets_403_and_nothing_changes(staff, ledger):
    ada = make_contact(ledger)
    staff.sign_in("staff")
    before = count_rows(ledger)
    answer = staff.client.post(
        f"/contacts/{ada.id}/preferences",
        data={"csrf": staff.csrf(), "channel": "email", "choice": "no"},
    )
    assert answer.status_code == 403 and "forbidden" in answer.text
    assert count_rows(ledger) == before


@pytest.mark.parametrize("csrf", [None, "", "0" * 64])
def test_every_form_refuses_a_missing_or_wrong_csrf_token(staff, ledger, csrf):
    ada = make_contact(ledger)
    staff.sign_in("admin")
    before = count_rows(ledger)
    forms = [
        (f"/contacts/{ada.id}/preferences", {"channel": "email", "choice": "no"}),
        ("/sign-out", {}),
    ]
    for path, data in forms:
        if csrf is not None:
            data = {**data, "csrf": csrf}
        answer = staff.client.post(path, data=data, follow_redirects=False)
        assert answer.status_code == 403 and "forbidden" in answer.text, path
    assert count_rows(ledger) == before
    assert staff.client.get("/contacts").status_code == 200  # still signed in


def test_a_client_admin_sees_only_its_own_scopes(staff, ledger):
    ada = make_contact(ledger)
    ledger.opt_out(admin("acme/events"), ada.id, "email", "acme/events")
    staff.sign_in("client_admin")
    html = staff.client.get(f"/contacts/{ada.id}").text
    assert "acme/newsletters" in html and "acme/events" not in html
    assert "At acme/newsletters" in html


def test_another_groups_admin_cannot_open_a_contact(staff, ledger):
    ada = make_contact(ledger)
    staff.sign_in("globex")
    answer = staff.client.get(f"/contacts/{ada.id}")
    assert answer.status_code == 404 and "contact_not_found" in answer.text
    assert f'href="/contacts/{ada.id}"' not in staff.client.get("/contacts").text


def test_the_staff_pages_carry_their_headers(staff):
    staff.sign_in("viewer")
    answer = staff.client.get("/contacts")
    csp = answer.headers["content-security-policy"]
    assert "style-src 'self'" in csp and "script-src" not in csp
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["cache-control"] == "no-store"
    css = staff.client.get("/staff/staff.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert ".optin-hard" in css.text


def test_staff_send_an_opt_in_request_where_the_rules_allow_it(staff, ledger):
    ada = make_contact(ledger)
    ledger.opt_out(as_contact(ada), ada.id, "sms", "acme", source=Source.UNSUBSCRIBE_LINK)
    staff.sign_in("staff")
    html = staff.client.get(f"/contacts/{ada.id}").text
    sms = html.split('id="pref-sms"', 1)[1].split("</li>", 1)[0]
    email = html.split('id="pref-email"', 1)[1].split("</li>", 1)[0]
    assert 'value="request"' not in sms and 'value="request"' in email
    sent = staff.client.post(
        f"/contacts/{ada.id}/preferences",
        data={"csrf": staff.csrf(), "channel": "email", "choice": "request"},
    )
    assert "Contact updated: an opt-in request was sent" in sent.text
    assert ledger.history(admin(), ada.id)[-1].action is Action.CONFIRMATION_REQUESTED
    again = staff.client.post(
        f"/contacts/{ada.id}/preferences",
        data={"csrf": staff.csrf(), "channel": "email", "choice": "request"},
    )
    assert again.status_code == 409 and "opt_in_request_too_soon" in again.text


def test_the_profile_gives_the_chains_verdict_for_this_contact(staff, ledger):
    ada = make_contact(ledger)
    bob = make_contact(ledger, email="bob@example.com", mobile="+447700900124")
    for c in (ada, bob):
        ledger.opt_in(admin(), c.id, "email", "acme", evidence=WRITTEN)
    staff.sign_in("viewer")
    assert (
        "The evidence chain verifies: 1 event recomputed"
        in staff.client.get(f"/contacts/{ada.id}").text
    )
    sql(ledger, "UPDATE events SET scope_id = 'acme/events' WHERE contact_id = :c", c=bob.id)
    tampered = staff.client.get(f"/contacts/{bob.id}").text
    assert "The evidence chain does not verify: altered" in tampered
    assert "The evidence chain verifies" in staff.client.get(f"/contacts/{ada.id}").text
