"""The hosted pages are mounted on the deployment's server next to the API."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from consentry.server import create_server
from tests.factories import make_contact, sender
from tests.web.conftest import path_of


def test_the_server_serves_the_hosted_pages(ledger, settings):
    ada = make_contact(ledger)
    url = ledger.unsubscribe_headers(sender("acme"), ada.id, "acme")["List-Unsubscribe"]
    server = create_server(settings)
    gc.unfreeze()  # what start-up froze (the test below) goes back to the collector here
    with TestClient(server) as client:
        assert client.get("/preferences").status_code == 200
        page = client.get(path_of(url.strip("<>")))
        assert page.status_code == 200 and "Everything from acme" in page.text
        assert client.get("/u/not.a.link").status_code == 400


def test_start_up_objects_are_frozen_out_of_the_collector(settings):
    """After start-up a full collection no longer walks the app's own objects (issue 12)."""
    gc.unfreeze()
    try:
        before = gc.get_freeze_count()
        app = create_server(settings)
        frozen = gc.get_freeze_count()
        assert before == 0 and frozen > 10_000  # modules, models and routes
        # the app itself is among them: no generation the collector walks holds it
        assert app.router.routes and not any(o is app for o in gc.get_objects())
    finally:
        gc.unfreeze()  # the test process goes on collecting as before
