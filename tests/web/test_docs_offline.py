"""``/docs`` renders in real headless Chromium with every request off this host refused.

The whole deployment (``create_server``) runs under a real uvicorn; Playwright aborts every
request that is not to 127.0.0.1, as a machine without the internet would, and the test checks
that Swagger UI (from the package ``fastapi-offline``, decision 052) rendered the operations,
that nothing tried to leave the host, and that the page's CSP refused nothing.

Screenshots: ``test-artifacts/screenshots/api-docs-offline-desktop.png`` (the top) and
``api-docs-offline-operation-desktop.png`` (one operation opened), ``api-docs-offline-phone.png``
(390 px wide). axe-core checks each for WCAG A/AA violations.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from consentry.server import create_server
from consentry.settings import Settings
from tests.browser import look, serving
from tests.mail import free_port
from tests.web.test_browser import DESKTOP, PHONE

pytestmark = pytest.mark.browser

LOCAL = {"127.0.0.1", "localhost"}
#: Swagger UI's own markup fails these axe rules (its colours, its summary rows that hold a
#: button inside a button, its small icons, its unlabelled enum pickers in an opened operation);
#: every other WCAG A/AA rule holds there (decision 060).
SWAGGER_UI = ("color-contrast", "nested-interactive", "select-name", "target-size")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[str]:
    """``consentry.server:create_server`` under uvicorn on 127.0.0.1, over a SQLite copy."""
    db = tmp_path_factory.mktemp("docs") / "consentry.db"
    shutil.copy(sqlite_template, db)
    port = free_port()
    settings = Settings(
        database_url=f"sqlite:///{db}",
        address_key="ab" * 32,
        secret_keys="t1:" + "cd" * 32,
        public_url=f"http://127.0.0.1:{port}",
    )
    app = create_server(settings)
    with serving(app, port):
        yield settings.public_url
    app.state.ledger.close()


def test_the_api_docs_render_without_the_internet(base: str, browser: Any) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    refused: list[str] = []
    problems: list[str] = []

    def offline(route: Any) -> None:
        if urlsplit(route.request.url).hostname in LOCAL:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("internetdisconnected")

    page.route("**/*", offline)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(base + "/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)

    assert page.title() == "Consentry API"
    assert page.locator(".info .title").first.inner_text().startswith("Consentry")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert len(paths) >= 25, paths
    assert "/v1/eligibility" in [p.replace("\u200b", "") for p in paths]
    assert "/v1/inbound/messages" in [p.replace("\u200b", "") for p in paths]
    look(page, "api-docs-offline-desktop.png", full_page=False, skip=SWAGGER_UI)

    # open one operation: its parameters and documented responses render too
    page.locator(".opblock-get .opblock-summary").filter(has_text="/v1/eligibility").first.click()
    page.wait_for_selector(".opblock.is-open .responses-table")
    statuses = page.locator(".opblock.is-open .response-col_status").all_inner_texts()
    assert {"200", "400", "401", "422"} <= {s.strip() for s in statuses}, statuses
    look(page, "api-docs-offline-operation-desktop.png", full_page=False, skip=SWAGGER_UI)

    assert refused == [], "the docs tried to reach another host"
    assert problems == [], problems  # a CSP refusal or a script error shows up here
    context.close()


def test_the_api_docs_fit_a_phone(base: str, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.route(
        "**/*", lambda r: r.continue_() if urlsplit(r.request.url).hostname in LOCAL else r.abort()
    )
    page.goto(base + "/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= PHONE["width"], f"the docs scroll sideways on a phone: {wide}px"
    look(page, "api-docs-offline-phone.png", full_page=False, skip=SWAGGER_UI)
    context.close()
