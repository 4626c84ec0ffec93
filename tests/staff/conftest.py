"""The staff web app through the server's one app (TestClient over HTTPS: the cookies are
``Secure``), with people of each role signed in by the real sign-in form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from fastapi.testclient import TestClient

from consentry.core.permissions import Role
from consentry.ledger import Ledger
from consentry.server import compose
from consentry.settings import Settings
from tests.browser import chromium
from tests.factories import PASSWORD, fast_passwords, system

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
