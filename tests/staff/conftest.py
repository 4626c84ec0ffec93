"""The staff web app through the server's one app (TestClient over HTTPS: the cookies are
``Secure``), with people of each role signed in by the real sign-in form."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from consentry.bootstrap import build
from consentry.core.events import Source
from consentry.core.permissions import Role
from consentry.ledger import Ledger
from consentry.server import compose
from consentry.settings import Settings
from tests.browser import chromium, serving
from tests.conftest import empty_database
from tests.factories import (
    PASSWORD,
    WRITTEN,
    admin,
    as_contact,
    fast_passwords,
    make_contact,
    make_scopes,
    system,
)
from tests.mail import free_port

#: Who signs in, by name: (email, role, scope).
PEOPLE = {
    "admin": ("admin@acme.example", Role.ADMIN, "acme"),
    "staff": ("staff@acme.example", Role.STAFF, "acme"),
    "viewer": ("viewer@acme.example", Role.VIEWER, "acme"),
    "client_admin": ("news-admin@acme.example", Role.ADMIN, "acme/newsletters"),
    "globex": ("admin@globex.example", Role.ADMIN, "globex"),
}


def make_people(ledger: Ledger) -> None:
    """Create every person of ``PEOPLE`` with ``PASSWORD`` (Argon2id at its lowest cost)."""
    fast_passwords(ledger)
    for name, (email, role, scope) in PEOPLE.items():
        ledger.create_user(
            system(scope.split("/")[0]), email, name=name.replace("_", " ").title(),
            role=role, scope_id=scope, password=PASSWORD,
        )  # fmt: skip


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@dataclass
class Staff:
    """A browser-like client of the staff app: its cookies persist between requests."""

    client: TestClient
    ledger: Ledger

    def sign_in(self, who: str, password: str = PASSWORD) -> object:
        """Open the sign-in page and post its form, as a person would."""
        page = self.client.get("/sign-in")
        form = {"csrf": csrf_of(page.text), "email": PEOPLE[who][0], "password": password}
        return self.client.post("/sign-in", data=form, follow_redirects=False)

    def csrf(self, path: str = "/contacts") -> str:
        """The session's CSRF token, read from a page's form."""
        return csrf_of(self.client.get(path).text)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test deployment, its numbers typed the British way (``07700 900123``)."""
    return replace(settings, default_region="GB")


@pytest.fixture
def app_client(ledger: Ledger, settings: Settings) -> Iterator[TestClient]:
    """The server's one app, over HTTPS, with the people of ``PEOPLE``."""
    make_people(ledger)
    with TestClient(compose(ledger, settings), base_url="https://testserver") as client:
        yield client


@pytest.fixture
def staff(app_client: TestClient, ledger: Ledger) -> Staff:
    """A client of the staff app, not signed in yet."""
    return Staff(app_client, ledger)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's chromium, headless, through Playwright's sync API."""
    with chromium() as launched:
        yield launched


# ── a running deployment for the browser tests ──
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
    with serving(compose(ledger, settings), port):
        yield Site(settings.public_url, ledger)
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


def open_settings(page: Any, name: str) -> None:
    """Open a page under Settings as a person would: "Settings" in the main navigation, then
    ``name`` in the Settings sub-navigation, which marks it as the current page."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.wait_for_url("**/settings/numbers")
    settings = page.get_by_role("navigation", name="Settings")
    settings.get_by_role("link", name=name, exact=True).click()
    current = settings.locator('[aria-current="page"]')
    current.wait_for()
    assert current.inner_text() == name
