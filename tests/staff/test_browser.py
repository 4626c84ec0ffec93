"""The staff web app in real headless Chromium (Debian ``chromium`` driven by Playwright), served
by a real uvicorn running the server's one app, signed in as admin, staff and viewer.

Screenshots go to ``test-artifacts/screenshots/staff-*.png`` at 1280 px and 390 px, each checked
by axe-core (decision 060).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from consentry.core.events import Action
from tests.browser import look
from tests.factories import admin
from tests.staff.conftest import DESKTOP, PEOPLE, PHONE, open_settings, signed_in

pytestmark = pytest.mark.browser


def test_the_sign_in_page_and_a_wrong_password(site, browser):
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(site.base + "/")
    look(page, "staff-sign-in-phone.png")
    page.get_by_label("Email address").fill(PEOPLE["admin"][0])
    page.get_by_label("Password").fill("not the password, sorry")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("text=sign_in_failed")
    look(page, "staff-sign-in-failed-phone.png")
    page.context.close()


@pytest.mark.parametrize(("viewport", "size"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_the_contacts_table_shows_the_opt_in_status_column(site, browser, viewport, size):
    page = signed_in(browser, site, "admin", viewport)
    assert page.title() == "Contacts · Consentry"
    assert page.locator("h1").inner_text() == "Contacts"
    row = page.locator("tr", has=page.get_by_role("link", name="Bob"))
    hard = row.locator('[title="Opted out of SMS: the contact\'s own opt-out"]')
    assert hard.get_attribute("class") == "optin optin-hard"
    colour = hard.evaluate("e => getComputedStyle(e).borderTopColor")
    assert colour == "rgb(185, 28, 28)"  # red
    hard.hover()
    soft = page.locator("tr", has=page.get_by_role("link", name="Ada Lovelace"))
    assert soft.locator('[title="Opted out of Calls & Voicemails"]').count() == 1
    look(page, f"staff-contacts-{size}.png")
    page.get_by_label("Search by email address or mobile number").fill("07700 900124")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**q=07700*")
    assert page.get_by_role("link", name="Bob").count() == 1
    assert page.get_by_role("link", name="Ada Lovelace").count() == 0
    page.context.close()


def test_staff_opt_in_with_written_permission_then_contact_updated(site, browser):
    page = signed_in(browser, site, "staff", DESKTOP)
    page.get_by_role("link", name="Cy").click()
    page.wait_for_selector("text=Global opt-in preferences")
    assert page.get_by_role("button", name="No: opt out of SMS").count() == 0  # staff: no No
    look(page, "staff-profile-desktop.png")
    page.get_by_role("link", name="Yes: opt in to SMS").click()
    page.wait_for_selector("text=only opt a contact in if they have given you written permission")
    look(page, "staff-opt-in-form-desktop.png")
    page.get_by_label("What did the contact give?").select_option("signed_form")
    page.get_by_label("When did they give it?").fill("2026-01-02")
    page.get_by_label("Where is it kept, or what does it say?").fill("Paper form #88, filed")
    page.get_by_role("button", name="Opt in to SMS").click()
    page.wait_for_selector("text=Contact updated")
    assert page.locator("#pref-sms").inner_text().count("Subscribed to SMS") == 1
    look(page, "staff-contact-updated-desktop.png")
    event = site.ledger.history(admin(), site.cy.id)[-1]
    assert (event.action, event.evidence_data["written_permission"]) == (
        Action.OPTED_IN, "signed_form",
    )  # fmt: skip
    page.context.close()


def test_a_viewer_sees_no_change_controls_by_keyboard_either(site, browser):
    page = signed_in(browser, site, "viewer", PHONE)
    page.get_by_role("link", name="Bob").click()
    page.wait_for_selector("text=Global opt-in preferences")
    assert page.locator("#pref-sms .why").count() == 1  # why a hard opt-out stays
    assert page.get_by_role("link", name="Yes: opt in to SMS").count() == 0
    assert page.locator("form[action$='/preferences']").count() == 0
    look(page, "staff-profile-viewer-phone.png")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.context.close()


def test_an_admin_manages_people(site, browser):
    page = signed_in(browser, site, "admin", DESKTOP)
    open_settings(page, "People")
    page.wait_for_selector("text=Add a person")
    assert page.title() == "People · Consentry"
    look(page, "staff-people-desktop.png")
    page.context.close()


@pytest.mark.parametrize(("viewport", "size"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_the_settings_pages_share_one_entry_and_a_sub_navigation(site, browser, viewport, size):
    page = signed_in(browser, site, "client_admin", viewport)  # admin: 9 sign-ins here (limit 10)
    main = page.get_by_role("navigation", name="Main")
    links = main.get_by_role("link")
    assert links.all_inner_texts() == [
        "Contacts", "Broadcasts", "Activity", "Trends", "Journeys", "Compliance", "Settings",
    ]  # fmt: skip
    assert page.get_by_role("navigation", name="Settings").count() == 0
    if viewport is DESKTOP:  # the header is one row: the links beside the brand and the name
        tops = {round(box["y"]) for box in (link.bounding_box() for link in links.all())}
        assert len(tops) == 1, tops
    look(page, f"staff-nav-contacts-{size}.png")
    open_settings(page, "Webhooks")
    assert main.get_by_role("link", name="Settings").get_attribute("aria-current") == "true"
    sub = page.get_by_role("navigation", name="Settings").get_by_role("link")
    assert sub.all_inner_texts() == [
        "Receiving numbers", "Keywords", "API keys", "Webhooks", "Lifecycle rules", "People",
    ]  # fmt: skip
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= viewport["width"], f"the settings pages scroll sideways: {wide}px"
    look(page, f"staff-nav-settings-webhooks-{size}.png")
    page.context.close()


@pytest.mark.parametrize(
    "path", ["/settings/keys", "/settings/numbers", "/settings/keywords", "/journeys/missed"]
)
def test_the_settings_pages_are_accessible(site, browser, path):
    page = signed_in(browser, site, "admin", PHONE)
    page.goto(site.base + path)
    name = path.strip("/").replace("/", "-")
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= PHONE["width"], f"{path} scrolls sideways on a phone: {wide}px"
    look(page, f"staff-{name}-phone.png")
    page.context.close()


SCAN = b"%PDF-1.4\n% Cy's signed form, scanned\n%%EOF\n"


def test_the_uploaded_copy_is_linked_from_the_history_and_downloads(site, browser):
    page = signed_in(browser, site, "staff", DESKTOP)
    page.get_by_role("link", name="Cy").click()
    page.get_by_role("link", name="Yes: opt in to Email").click()
    page.get_by_label("What did the contact give?").select_option("signed_form")
    page.get_by_label("When did they give it?").fill("2026-01-02")
    page.get_by_label("Where is it kept, or what does it say?").fill("Scanned, attached")
    page.get_by_label("A copy of it (optional)").set_input_files(
        files=[{"name": "signed-form.pdf", "mimeType": "application/pdf", "buffer": SCAN}]
    )
    page.get_by_role("button", name="Opt in to Email").click()
    page.wait_for_selector("text=Contact updated")
    link = page.get_by_role("link", name=re.compile(r"^Download the copy: signed-form\.pdf"))
    assert link.count() == 1
    row = page.locator("table.history tr", has=link)
    assert "opted in" in row.inner_text()
    link.scroll_into_view_if_needed()
    look(page, "staff-profile-evidence-file-desktop.png")
    with page.expect_download() as downloading:
        link.click()
    download = downloading.value
    assert download.suggested_filename == "signed-form.pdf"
    assert Path(download.path()).read_bytes() == SCAN
    page.context.close()


@pytest.mark.parametrize(("viewport", "size"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_the_contacts_table_filters_by_opt_in_status(site, browser, viewport, size):
    page = signed_in(browser, site, "admin", viewport)
    chooser = page.get_by_label("Opt-In Status at acme")
    assert chooser.locator("optgroup").count() == 3  # email, SMS, calls
    chooser.select_option("sms:hard_opt_out")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**status=sms%3Ahard_opt_out*")
    assert page.get_by_role("link", name="Bob").count() == 1
    assert page.get_by_role("link", name="Ada Lovelace").count() == 0
    assert page.get_by_label("Opt-In Status at acme").input_value() == "sms:hard_opt_out"
    look(page, f"staff-contacts-status-filter-{size}.png")
    page.get_by_label("Opt-In Status at acme").select_option("voice:soft_opt_out")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**status=voice%3Asoft_opt_out*")
    assert page.get_by_role("link", name="Ada Lovelace").count() == 1
    assert page.get_by_role("link", name="Bob").count() == 0
    page.context.close()
