"""The staff web app in real headless Chromium (Debian ``chromium`` driven by Playwright), served
by a real uvicorn running the server's one app, signed in as admin, staff and viewer.

Screenshots go to ``test-artifacts/screenshots/staff-*.png`` at 1280 px and 390 px, each checked
by axe-core (decision 060).
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from consentry.bootstrap import build
from consentry.core.events import Action, Source
from consentry.ledger import Ledger
from consentry.server import compose
from consentry.settings import Settings
from tests.browser import look
from tests.conftest import empty_database
from tests.factories import PASSWORD, WRITTEN, admin, as_contact, make_contact, make_scopes
from tests.mail import free_port
from tests.staff.conftest import PEOPLE, make_people

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


class Site:
    """A running deployment: its base URL and its ledger, with three contacts."""

    def __init__(self, base: str, ledger: Ledger) -> None:
        self.base, self.ledger = base, ledger
        self.ada = make_contact(ledger, name="Ada Lovelace")
        self.bob = make_contact(ledger, email="bob@example.com", mobile="+447700900124", name="Bob")
        self.cy = make_contact(ledger, email="cy@example.com", mobile="+447700900125", name="Cy")
        ledger.opt_in(admin(), self.ada.id, "email", "acme", evidence=WRITTEN)
        ledger.opt_out(admin(), self.ada.id, "voice", "acme")
        ledger.opt_out(
            as_contact(self.bob), self.bob.id, "sms", "acme", source=Source.UNSUBSCRIBE_LINK
        )


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Site]:
    """uvicorn in a thread on 127.0.0.1:free-port over each database."""
    if request.param == "sqlite":
        db = tmp_path_factory.mktemp("staff") / "consentry.db"
        shutil.copy(sqlite_template, db)
        url = f"sqlite:///{db}"
    else:
        url = request.getfixturevalue("pg_database")
        empty_database(url)
    port = free_port()
    settings = Settings(
        database_url=url, address_key="cd" * 32, secret_keys="t1:" + "ef" * 32,
        public_url=f"http://127.0.0.1:{port}", channels=("email", "sms", "voice"),
        default_region="GB",
    )  # fmt: skip
    ledger = build(settings)
    make_scopes(ledger)
    make_people(ledger)
    server = uvicorn.Server(
        uvicorn.Config(compose(ledger, settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield Site(settings.public_url, ledger)
    server.should_exit = True
    thread.join(10)
    ledger.close()


def signed_in(browser: Any, site: Site, who: str, viewport: dict[str, int]) -> Any:
    """A new browser context signed in as ``who`` through the sign-in form, on the contacts."""
    page = browser.new_context(viewport=viewport, locale="en-GB").new_page()
    page.goto(site.base + "/")
    assert page.url.endswith("/sign-in?next=/contacts")
    page.get_by_label("Email address").fill(PEOPLE[who][0])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/contacts")
    return page


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
