"""The hosted pages in real headless Chromium (Debian ``chromium`` driven by Playwright), served
by a real uvicorn server, with confirmation emails through a real local SMTP server.

Screenshots go to ``test-artifacts/screenshots/`` (phone and desktop viewports).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from consentry.adapters.mailer import SmtpSender
from consentry.bootstrap import build
from consentry.core.eligibility import Reason
from consentry.ledger import Ledger
from consentry.server import compose
from consentry.settings import Settings
from tests.browser import look, serving
from tests.conftest import empty_database
from tests.factories import WRITTEN, admin, make_contact, make_scopes, sender
from tests.mail import Inbox, free_port
from tests.web.conftest import path_of

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ADA = "acme/newsletters/ada"


class Site:
    """A running deployment: base URL, its ledger and the inbox of its SMTP server."""

    def __init__(self, base: str, ledger: Ledger, inbox: Inbox) -> None:
        self.base, self.ledger, self.inbox = base, ledger, inbox

    def unsubscribe_url(self, contact_id: str, scope: str = ADA) -> str:
        value = self.ledger.unsubscribe_headers(sender("acme"), contact_id, scope)
        return value["List-Unsubscribe"].strip("<>")


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def site(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
) -> Iterator[Site]:
    """uvicorn in a thread on 127.0.0.1:free-port over each database, with a local SMTP server."""
    if request.param == "sqlite":
        db = tmp_path_factory.mktemp("browser") / "consentry.db"
        shutil.copy(sqlite_template, db)
        url = f"sqlite:///{db}"
    else:
        url = request.getfixturevalue("pg_database")
        empty_database(url)
    inbox, smtp_port, port = Inbox(), free_port(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    settings = Settings(
        database_url=url,
        address_key="cd" * 32,
        secret_keys="t1:" + "ef" * 32,  # configured, never kept in the database (decision 051)
        public_url=f"http://127.0.0.1:{port}",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
    )
    ledger = build(settings)
    ledger.context.outbox = SmtpSender("127.0.0.1", smtp_port, settings.mail_from)
    make_scopes(ledger)
    app = compose(ledger, settings)  # the server's one app: error map and security headers
    with serving(app, port):
        yield Site(settings.public_url, ledger, inbox)
    smtp.stop()
    ledger.close()


def new_page(browser, viewport, locale="en-GB"):
    context = browser.new_context(viewport=viewport, locale=locale, user_agent="Chromium-e2e")
    return context.new_page()


@pytest.mark.parametrize(
    ("label", "level", "blocked", "allowed"),
    [
        ("Just this sender", ADA, ADA, "acme/newsletters/alan"),
        (
            "Everything from newsletters",
            "acme/newsletters",
            "acme/newsletters/alan",
            "acme/events/bob",
        ),
        ("Everything from acme (all senders)", "acme", "acme/events/bob", None),
    ],
    ids=["user", "client", "group"],
)
def test_unsubscribe_at_each_level_in_a_phone_browser(
    site, browser, label, level, blocked, allowed
):
    name = level.replace("/", "-")
    contact = make_contact(site.ledger, email=f"{name}@example.com", mobile=None)
    site.ledger.opt_in(admin(), contact.id, "email", "acme", evidence=WRITTEN)
    page = new_page(browser, PHONE)
    page.goto(site.unsubscribe_url(contact.id))
    look(page, f"unsubscribe-{name}-phone.png")
    page.get_by_label(label, exact=False).first.check()
    page.get_by_role("button", name="Unsubscribe").click()
    page.wait_for_selector("text=you are unsubscribed")
    look(page, f"unsubscribed-{name}-phone.png")
    check = site.ledger.check
    assert check(sender("acme"), contact.id, "email", blocked).reason is Reason.HARD_OPT_OUT
    if allowed:
        assert check(sender("acme"), contact.id, "email", allowed).allowed
    last = site.ledger.history(admin(), contact.id)[-1]
    assert last.scope_id == level
    assert last.evidence_data["user_agent"] == "Chromium-e2e"
    page.context.close()


def test_opt_back_in_and_confirm_from_the_email(site, browser):
    contact = make_contact(site.ledger, email="comeback@example.com", mobile=None)
    page = new_page(browser, DESKTOP)
    page.goto(site.unsubscribe_url(contact.id))
    page.get_by_role("button", name="Unsubscribe").click()
    page.wait_for_selector("text=you are unsubscribed")
    sent = len(site.inbox.messages)
    page.get_by_role("button", name="Opt back in").first.click()
    page.wait_for_selector("text=We sent a confirmation message")
    look(page, "opt-back-in-desktop.png")
    assert site.ledger.check(sender("acme"), contact.id, "email", ADA).reason is Reason.HARD_OPT_OUT

    site.inbox.wait_for(sent + 1)
    link = site.inbox.link()
    assert link.startswith("/confirm/")
    confirm = new_page(browser, PHONE)
    confirm.goto(site.base + link)
    look(confirm, "confirm-phone.png")
    confirm.get_by_role("button", name="Yes, confirm").click()
    confirm.wait_for_selector("text=is confirmed")
    look(confirm, "confirmed-phone.png")
    assert site.ledger.check(sender("acme"), contact.id, "email", ADA).allowed
    evidence = site.ledger.history(admin(), contact.id)[-1].evidence_data
    assert evidence == {"ip": "127.0.0.1", "user_agent": "Chromium-e2e"}
    page.context.close()
    confirm.context.close()


def test_pages_in_french_and_the_public_form_on_desktop(site, browser):
    contact = make_contact(site.ledger, email="amelie@example.com", mobile=None, locale="fr-FR")
    page = new_page(browser, DESKTOP, locale="fr-FR")
    page.goto(site.unsubscribe_url(contact.id))
    assert page.locator("html").get_attribute("lang") == "fr"
    look(page, "unsubscribe-fr-desktop.png")
    page.goto(site.base + "/preferences")
    page.get_by_label("Adresse e-mail ou numéro de mobile").fill("amelie@example.com")
    page.get_by_role("button", name="M'envoyer un lien").click()
    page.wait_for_selector("text=un lien pour gérer vos préférences vous a été envoyé")
    look(page, "request-sent-fr-desktop.png")
    page.goto(site.base + "/u/not-a-link")
    look(page, "invalid-link-fr-desktop.png")
    assert "link_invalid" in page.content()
    page.context.close()


def test_the_page_works_by_keyboard_alone(site, browser):
    contact = make_contact(site.ledger, email="keys@example.com", mobile=None)
    page = new_page(browser, PHONE)
    page.goto(site.unsubscribe_url(contact.id))
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.id")
    assert focused.startswith("out-level-")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    assert path_of(page.url).startswith("/u/")
    page.context.close()
