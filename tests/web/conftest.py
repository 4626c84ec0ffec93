"""The hosted pages over the ``ledger`` fixture, with a REAL local SMTP server (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from consentry.adapters.store.schema import events
from consentry.ledger import Ledger
from consentry.server import compose
from consentry.settings import Settings
from tests.browser import chromium
from tests.mail import Inbox


@pytest.fixture
def client(ledger: Ledger, settings: Settings, inbox: Inbox) -> Iterator[TestClient]:
    """The hosted pages in the server's one app, through TestClient (mail goes to ``inbox``)."""
    del inbox
    app = compose(ledger, settings)  # the error map and security headers come with the app
    with TestClient(app, headers={"User-Agent": "pytest-browser/1.0"}) as test_client:
        yield test_client


def event_count(ledger: Ledger) -> int:
    """How many ledger events are stored."""
    with ledger.store.engine.connect() as conn:  # type: ignore[attr-defined]
        count: int = conn.execute(select(func.count()).select_from(events)).scalar_one()
        return count


def path_of(url: str) -> str:
    """The path of an absolute link."""
    return "/" + url.split("/", 3)[3]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's chromium, headless, through Playwright's sync API (no browser download)."""
    with chromium() as launched:
        yield launched
