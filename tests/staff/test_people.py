"""Admins manage the people who sign in, within their scope (decision 061), in the app."""

from __future__ import annotations

from tests.factories import admin, count_rows
from tests.staff.conftest import PEOPLE, csrf_of

NEW = {
    "name": "Nia",
    "email": "nia@acme.example",
    "role": "staff",
    "password": "a long enough password",
}


def test_an_admin_adds_a_person_who_then_signs_in(staff):
    staff.sign_in("admin")
    listing = staff.client.get("/people")
    assert listing.status_code == 200 and "staff@acme.example" in listing.text
    added = staff.client.post(
        "/people", data={"csrf": staff.csrf("/people"), "scope": "acme/events", **NEW}
    )
    assert "nia@acme.example can sign in now" in added.text
    staff.client.cookies.clear()
    page = staff.client.get("/sign-in")
    signed = staff.client.post(
        "/sign-in",
        data={"csrf": csrf_of(page.text), "email": NEW["email"], "password": NEW["password"]},
        follow_redirects=False,
    )
    assert signed.status_code == 303


def test_a_client_admin_cannot_add_a_person_above_its_client(staff, ledger):
    staff.sign_in("client_admin")
    listing = staff.client.get("/people").text
    assert "staff@acme.example" not in listing  # a user at the group is above this client
    before = count_rows(ledger)
    refused = staff.client.post(
        "/people", data={"csrf": staff.csrf("/people"), "scope": "acme", **NEW}
    )
    assert refused.status_code == 403 and "out_of_scope" in refused.text
    assert count_rows(ledger) == before


def test_staff_and_viewers_cannot_manage_people(staff):
    for who in ("staff", "viewer"):
        staff.client.cookies.clear()
        staff.sign_in(who)
        assert 'href="/people"' not in staff.client.get("/contacts").text
        assert staff.client.get("/people").status_code == 403
        refused = staff.client.post("/people", data={"csrf": staff.csrf(), "scope": "acme", **NEW})
        assert refused.status_code == 403 and "forbidden" in refused.text


def test_disabling_a_person_ends_their_sessions(staff, ledger):
    staff.sign_in("viewer")
    viewer_cookie = staff.client.cookies.get("consentry_staff")
    staff.client.cookies.clear()
    staff.sign_in("admin")
    viewer = next(u for u in ledger.list_users(admin()) if u.email == PEOPLE["viewer"][0])
    done = staff.client.post(f"/people/{viewer.id}/disable", data={"csrf": staff.csrf("/people")})
    assert done.status_code == 200 and "disabled" in done.text
    staff.client.cookies.clear()
    staff.client.cookies.set("consentry_staff", viewer_cookie)
    assert staff.client.get("/contacts", follow_redirects=False).status_code == 303


def test_the_people_forms_refuse_a_wrong_csrf_token(staff, ledger):
    staff.sign_in("admin")
    before = count_rows(ledger)
    refused = staff.client.post("/people", data={"csrf": "0" * 64, "scope": "acme", **NEW})
    assert refused.status_code == 403
    assert count_rows(ledger) == before
