"""The hosted pages over the ``ledger`` fixture, with a REAL local SMTP server (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from consentry.adapters.store.schema import events
from consentry.api.errors import install
from consentry.ledger import Ledger
from consentry.settings import Settings
from consentry.web import mount
from tests.mail import Inbox

#: Debian's chromium, driven by Playwright (no browser download); screenshots go to SHOTS.
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture
def client(ledger: Ledger, settings: Settings, inbox: Inbox) -> Iterator[TestClient]:
    """The hosted pages through TestClient (mail goes to ``inbox``)."""
    del inbox
    app = FastAPI()
    install(app)  # mount() needs the app's error map (decision 043)
    mount(app, ledger, settings)
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
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/install)")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()
