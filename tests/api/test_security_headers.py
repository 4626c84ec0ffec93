"""The HTTP edge (decision 052): security headers on every response, ``Allow`` on 405, and the
OpenAPI document naming the 400 and the webhooks' 403."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from consentry.api.app import DOCS_CSP
from consentry.ledger import Ledger
from consentry.server import create_server
from consentry.settings import Settings
from consentry.web.views import HEADERS as PAGE_HEADERS
from tests.api.conftest import Api, Caller, refused

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


def assert_hardened(response: Any, csp: str = API_CSP, cache: str = "no-store") -> None:
    """The headers every response of the app carries."""
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff", response.url
    assert headers["Referrer-Policy"] == "no-referrer", response.url
    assert headers["X-Frame-Options"] == "DENY", response.url
    assert headers["Content-Security-Policy"] == csp, response.url
    assert headers["Cache-Control"] == cache, response.url
    assert headers.get_list("Content-Security-Policy") == [csp], "set once, never twice"


@pytest.fixture
def server(ledger: Ledger, settings: Settings) -> Iterator[TestClient]:
    """The whole deployment (API, pages, webhooks) on the test database."""
    del ledger  # the scopes are made; the server builds its own ledger on the same database
    app = create_server(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.state.ledger.close()


# ── security headers ─────────────────────────────────────────────────────────


def test_the_openapi_document_and_api_answers_carry_the_headers(api: Api, admin: Caller) -> None:
    assert_hardened(api.client.get("/openapi.json"))
    listed = admin.get("/v1/scopes/acme")
    assert listed.status_code == 200 and listed.headers["content-type"] == "application/json"
    assert_hardened(listed)
    created = admin.post("/v1/scopes", json={"id": "acme/new"}, headers={"Idempotency-Key": "n1"})
    assert created.status_code == 201
    assert_hardened(created)


def test_the_docs_page_allows_only_this_origin(api: Api) -> None:
    page = api.client.get("/docs")
    assert page.status_code == 200
    assert_hardened(page, csp=DOCS_CSP)
    policy = dict(part.strip().split(" ", 1) for part in DOCS_CSP.split(";"))
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert policy["script-src"] == policy["style-src"] == policy["connect-src"] == "'self'"
    assert "unsafe" not in DOCS_CSP and "http" not in DOCS_CSP
    assert "<script>" not in page.text, "no inline script: the CSP needs no 'unsafe-inline'"
    assert "cdn" not in page.text and "https://" not in page.text
    init = api.client.get("/docs/swagger-init.js")
    assert init.headers["content-type"].startswith("text/javascript")
    assert "SwaggerUIBundle" in init.text and "validatorUrl: null" in init.text
    assert_hardened(init)


def test_the_swagger_ui_files_come_from_the_package(api: Api) -> None:
    for name, kind in [
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
        ("favicon.png", "image/png"),
    ]:
        asset = api.client.get(f"/docs/assets/{name}")
        assert asset.status_code == 200 and asset.headers["content-type"].startswith(kind), name
        assert_hardened(asset, cache="no-cache")  # revalidated by its ETag, 1.5 MB
    bundle = api.client.get("/docs/assets/swagger-ui-bundle.js")
    again = api.client.get(
        "/docs/assets/swagger-ui-bundle.js", headers={"If-None-Match": bundle.headers["ETag"]}
    )
    assert again.status_code == 304
    assert api.client.get("/docs/assets/nothing.js").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/contacts", 401),
        ("GET", "/no/such/page", 404),
        ("PUT", "/v1/contacts", 405),
        ("GET", "/v1/eligibility?contact=x", 401),
    ],
)
def test_error_responses_carry_the_headers(api: Api, method: str, path: str, status: int) -> None:
    response = api.client.request(method, path)
    assert response.status_code == status
    assert_hardened(response)


def test_refusals_of_an_authenticated_caller_carry_the_headers(admin: Caller) -> None:
    invalid = admin.get("/v1/eligibility")  # required parameters missing: 422
    refused(invalid, 422, "invalid")
    assert_hardened(invalid)
    missing = admin.get("/v1/contacts/ct_nobody")
    assert missing.status_code == 404
    assert_hardened(missing)


def test_a_body_that_cannot_be_read_is_400_with_the_error_body(admin: Caller) -> None:
    response = admin.post(
        "/v1/scopes",
        content=b'{"id": "\xff"}',
        headers={"Content-Type": "application/json", "Idempotency-Key": "bad-bytes"},
    )
    refused(response, 400, "invalid")
    assert_hardened(response)


def test_an_unexpected_failure_carries_the_headers_too(app: FastAPI) -> None:
    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/v1/boom", boom)
    response = TestClient(app, raise_server_exceptions=False).get("/v1/boom")
    refused(response, 500, "internal_error")
    assert_hardened(response)


def test_the_hosted_pages_keep_their_own_stricter_headers(server: TestClient) -> None:
    page = server.get("/preferences")
    assert page.status_code == 200
    for name, value in PAGE_HEADERS.items():
        assert page.headers.get_list(name) == [value], name
    webhook = server.post("/v1/inbound/messages", content=b"{}")
    refused(webhook, 403, "signature_invalid")
    assert_hardened(webhook)


# ── 405 says what is allowed ─────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/v1/contacts", "GET, POST"),  # two routes on one path
        ("DELETE", "/v1/scopes", "GET, POST"),
        ("POST", "/v1/contacts/ct_x", "GET, PATCH"),
        ("POST", "/openapi.json", "GET, HEAD"),
        ("DELETE", "/docs/assets/swagger-ui.css", "GET, HEAD"),  # the files' own answer
    ],
)
def test_405_names_every_allowed_method(api: Api, method: str, path: str, allowed: str) -> None:
    response = api.client.request(method, path)
    refused(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == allowed


def test_405_on_a_hosted_page_names_the_allowed_methods(server: TestClient) -> None:
    response = server.put("/u/some-token")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
    assert_hardened(response)


# ── the OpenAPI document ─────────────────────────────────────────────────────


def test_every_operation_documents_the_400(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            bad = operation["responses"]["400"]
            assert bad["content"]["application/json"]["schema"] == ERROR_REF, (method, path)
            assert "UTF-8" in bad["description"]


def test_the_webhooks_document_their_403_with_the_error_body(server: TestClient) -> None:
    document = server.get("/openapi.json").json()
    errors = [str(e) for e in OPENAPI_31_VALIDATOR.iter_errors(document)]
    assert not errors, errors[:3]
    assert "ErrorBody" in document["components"]["schemas"]
    webhooks = {p: ops for p, ops in document["paths"].items() if p.startswith("/v1/inbound/")}
    assert set(webhooks) == {
        "/v1/inbound/twilio/messages",
        "/v1/inbound/twilio/voice",
        "/v1/inbound/messages",
        *(f"/v1/inbound/feeds/{{group}}/{feed}" for feed in ("ses", "sendgrid", "postmark")),
        "/v1/inbound/feeds/{group}/twilio",  # the deliverability feeds (decision 074)
    }
    for path, operations in webhooks.items():
        forbidden = operations["post"]["responses"]["403"]
        assert forbidden["content"]["application/json"]["schema"] == ERROR_REF, path
        assert "signature_invalid" in forbidden["description"]
