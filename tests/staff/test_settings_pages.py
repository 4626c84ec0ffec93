"""The staff pages for what the API already does: API keys, numbers, keyword sets, and the
missed journey messages' empty state."""

from __future__ import annotations

import re

import pytest

from tests.factories import admin, count_rows, make_numbers


def test_an_admin_makes_a_key_sees_its_token_once_and_revokes_it(staff, ledger):
    staff.sign_in("admin")
    made = staff.client.post(
        "/settings/keys",
        data={"csrf": staff.csrf("/settings/keys"), "role": "sender", "scope": "acme/events",
              "name": "the SMS gateway"},
    )  # fmt: skip
    assert made.status_code == 201 and "shown this once" in made.text
    found = re.search(r'value="(csk_[^"]+)"', made.text)
    assert found, "the new key's token is on the page"
    token = found.group(1)
    listing = staff.client.get("/settings/keys").text
    assert "the SMS gateway" in listing and token not in listing
    check = staff.client.get("/v1/scopes", headers={"Authorization": f"Bearer {token}"})
    assert check.status_code == 403  # known, but a sender may not list scopes: not 401
    assert check.json()["error"]["code"] == "forbidden"
    key_id = ledger.list_api_keys(admin())[0].id
    gone = staff.client.post(f"/settings/keys/{key_id}/revoke", data={"csrf": staff.csrf()})
    assert gone.status_code == 200 and "revoked" in gone.text
    after = staff.client.get("/v1/scopes", headers={"Authorization": f"Bearer {token}"})
    assert after.status_code == 401


def test_staff_cannot_see_or_make_keys(staff, ledger):
    staff.sign_in("staff")
    assert staff.client.get("/settings/keys").status_code == 403
    before = count_rows(ledger)
    refused = staff.client.post(
        "/settings/keys",
        data={"csrf": staff.csrf(), "role": "admin", "scope": "acme", "name": "mine"},
    )
    assert refused.status_code == 403 and "forbidden" in refused.text
    assert count_rows(ledger) == before


def test_numbers_and_keyword_sets_are_shown_to_a_viewer(staff, ledger):
    make_numbers(ledger)
    staff.sign_in("viewer")
    numbers = staff.client.get("/settings/numbers")
    assert numbers.status_code == 200 and "+447700900900" in numbers.text
    assert "Acme Events: 0800 000 000" in numbers.text
    words = staff.client.get("/settings/keywords", params={"set": "default"})
    assert words.status_code == 200 and "<code>stop</code>" in words.text
    assert "cannot be removed" in words.text


def test_the_missed_journey_messages_page_says_what_will_be_there(staff):
    staff.sign_in("staff")
    page = staff.client.get("/journeys/missed")
    assert page.status_code == 200 and "No missed journey messages." in page.text


def settings_links(html: str) -> list[str]:
    """The links of the page's Settings sub-navigation, the current one marked ``*``."""
    found = re.search(r'<nav class="subnav" aria-label="Settings">(.*?)</nav>', html, re.S)
    if found is None:
        return []
    links = re.findall(r'<a href="[^"]+"( aria-current="page")?>([^<]+)</a>', found.group(1))
    return [f"{said}*" if current else said for current, said in links]


@pytest.mark.parametrize(
    ("who", "path", "shown"),
    [
        ("admin", "/settings/rules", ["Receiving numbers", "Keywords", "API keys", "Webhooks",
                                      "Lifecycle rules*", "People"]),
        ("admin", "/people", ["Receiving numbers", "Keywords", "API keys", "Webhooks",
                              "Lifecycle rules", "People*"]),
        ("staff", "/settings/keywords", ["Receiving numbers", "Keywords*"]),
        ("viewer", "/settings/numbers", ["Receiving numbers*", "Keywords"]),
    ],
)  # fmt: skip
def test_the_settings_sub_navigation_lists_what_the_person_may_open(staff, who, path, shown):
    staff.sign_in(who)
    html = staff.client.get(path).text
    assert settings_links(html) == shown
    assert '<a href="/settings/numbers" aria-current="true">Settings</a>' in html


def test_the_other_pages_have_no_settings_sub_navigation(staff):
    staff.sign_in("admin")
    html = staff.client.get("/contacts").text
    assert settings_links(html) == [] and 'aria-label="Settings"' not in html
    assert '<a href="/settings/numbers">Settings</a>' in html
    assert 'href="/settings/webhooks"' not in html  # no longer crowding the main navigation
