"""The hosted pages are mounted on the deployment's server next to the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from consentry.server import create_server
from tests.factories import make_contact, sender
from tests.web.conftest import path_of


def test_the_server_serves_the_hosted_pages(ledger, settings):
    ada = make_contact(ledger)
    url = ledger.unsubscribe_headers(sender("acme"), ada.id, "acme")["List-Unsubscribe"]
    with TestClient(create_server(settings)) as client:
        assert client.get("/preferences").status_code == 200
        page = client.get(path_of(url.strip("<>")))
        assert page.status_code == 200 and "Everything from acme" in page.text
        assert client.get("/u/not.a.link").status_code == 400
