"""The hosted pages answer through the app's one error map (decision 043).

A refusal on a page gets the status ``api/errors.py`` gives that error everywhere (400 for an
altered link, 410 expired, 404 not found, 409 refused, 503 unavailable), as the friendly HTML
page with the error code on it: never the JSON body, never a blanket 409. The app is the
deployment's own (``server.compose``), and every error is caused for real.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from consentry.adapters.clock import FixedClock
from consentry.api.errors import status_of
from consentry.core import errors as e
from consentry.core.channels import Channel
from consentry.core.links import LinkClaims, LinkPurpose
from consentry.ledger import Ledger
from consentry.server import compose
from consentry.settings import Settings
from tests.conftest import PG_SERVER
from tests.factories import make_contact, sender
from tests.mail import Inbox
from tests.web.conftest import path_of

ADA = "acme/newsletters/ada"
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@contextmanager
def database_down(ledger: Ledger, db_url: str) -> Iterator[None]:
    """Inside the block the ledger's database cannot be reached (the real store, no mock).

    SQLite: a directory stands where the file was. PostgreSQL: the database refuses new
    connections and the open ones are terminated. Both are put back afterwards.
    """
    ledger.close()  # no pooled connection outlives the outage
    if db_url.startswith("sqlite"):
        path = Path(db_url.split("///", 1)[1])
        moved = path.with_name(path.name + ".away")
        path.rename(moved)
        path.mkdir()  # sqlite3: "unable to open database file"
        try:
            yield
        finally:
            ledger.close()
            path.rmdir()
            moved.rename(path)
        return
    name = db_url.rsplit("/", 1)[1]
    server = create_engine(
        "postgresql+psycopg://" + PG_SERVER.split("://", 1)[1], isolation_level="AUTOCOMMIT"
    )
    with server.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": name},
        )
    try:
        yield
    finally:
        with server.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
        server.dispose()
        ledger.close()


@pytest.fixture
def client(ledger: Ledger, settings: Settings) -> Iterator[TestClient]:
    """The deployment's app (API, hosted pages, webhooks on one error map) over the ledger."""
    app = compose(ledger, settings)
    with TestClient(app, headers={"User-Agent": "pytest-browser/1.0"}) as test_client:
        yield test_client


def unsubscribe_path(ledger: Ledger, contact_id: str, scope: str = ADA) -> str:
    headers = ledger.unsubscribe_headers(sender("acme"), contact_id, scope)
    return path_of(headers["List-Unsubscribe"].strip("<>"))


def assert_friendly_page(response: Any, error: type[e.ConsentryError], status: int) -> None:
    """The error map's status for ``error``, as the hosted pages' HTML error page."""
    assert status == status_of(error("the API's status for the same error"))
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["Cache-Control"] == "no-store"  # the hosted pages' own headers
    assert "<html" in response.text and f"<code>{error.code}</code>" in response.text
    assert response.text.startswith("<!doctype html>")  # the page, not the JSON body


def test_an_altered_link_is_400_link_invalid(ledger: Ledger, client: TestClient) -> None:
    path = unsubscribe_path(ledger, make_contact(ledger).id)[:-3] + "xyz"
    assert_friendly_page(client.get(path), e.LinkInvalid, 400)
    assert_friendly_page(client.post(path, data=ONE_CLICK), e.LinkInvalid, 400)


def test_an_expired_link_is_410_link_expired(
    ledger: Ledger, client: TestClient, clock: FixedClock
) -> None:
    path = unsubscribe_path(ledger, make_contact(ledger).id)
    clock.set(clock.now() + timedelta(days=800))
    assert_friendly_page(client.get(path), e.LinkExpired, 410)
    assert_friendly_page(client.post(path, data=ONE_CLICK), e.LinkExpired, 410)


def test_a_genuine_link_to_a_scope_nobody_made_is_404(ledger: Ledger, client: TestClient) -> None:
    ada = make_contact(ledger)
    assert ledger.signer is not None
    claims = LinkClaims(
        LinkPurpose.UNSUBSCRIBE,
        ada.id,
        "acme/no-such-list",
        (Channel.EMAIL,),
        ledger.clock.now() + timedelta(days=1),
    )
    path = path_of(ledger.signer.url(claims))
    assert_friendly_page(client.post(path, data=ONE_CLICK), e.ScopeNotFound, 404)


def test_a_confirmation_overtaken_by_a_later_opt_out_is_409(
    ledger: Ledger, client: TestClient, inbox: Inbox
) -> None:
    page = unsubscribe_path(ledger, make_contact(ledger).id)
    client.post(page, data=ONE_CLICK)
    client.post(page, data={"action": "opt_in", "level": ADA, "channels": "email"})
    inbox.wait_for(1)
    confirm = inbox.link()
    assert client.post(confirm).status_code == 200
    client.post(page, data=ONE_CLICK)  # out again, by the contact
    assert_friendly_page(client.post(confirm), e.InvalidTransition, 409)  # was 400


def test_an_unreachable_database_is_503_on_every_page_that_reads_it(
    ledger: Ledger, client: TestClient, db_url: str
) -> None:
    page = unsubscribe_path(ledger, make_contact(ledger).id)
    with database_down(ledger, db_url):
        for response in (
            client.get(page),  # was 409
            client.post(page, data=ONE_CLICK),  # was 409
            client.post("/preferences", data={"address": "ada@example.com"}),  # was JSON
        ):
            assert_friendly_page(response, e.Unavailable, 503)
            assert response.headers["Retry-After"] == "1"
        assert client.get("/preferences").status_code == 200  # the form itself needs no database
    assert client.get(page).status_code == 200
