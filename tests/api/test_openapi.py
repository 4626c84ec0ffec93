"""The OpenAPI document: valid, every error documented with the error body, checked in."""

from __future__ import annotations

import json
from pathlib import Path

from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from consentry.api.app import openapi_text
from tests.api.conftest import Api

CHECKED_IN = Path(__file__).parents[2] / "docs" / "openapi.json"
ERROR_REF = "#/components/schemas/ErrorBody"


def test_the_document_is_valid_openapi(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    errors = [str(e) for e in OPENAPI_31_VALIDATOR.iter_errors(document)]
    assert not errors, errors[:3]
    assert document["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"


def test_every_operation_documents_its_errors_with_the_error_body(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            errors = {s: r for s, r in operation["responses"].items() if s[0] in "45"}
            assert {"401", "403", "404", "422", "500"} <= set(errors), where
            for status, response in errors.items():
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": ERROR_REF}, f"{where} {status}"
            if method == "post":
                names = {p["name"] for p in operation.get("parameters", [])}
                assert "Idempotency-Key" in names, where
            assert operation.get("security") == [{"ApiKey": []}], where


def test_the_interactive_docs_are_served(api: Api) -> None:
    page = api.client.get("/docs")
    assert page.status_code == 200 and "swagger" in page.text.lower()


def test_the_checked_in_document_is_up_to_date() -> None:
    fresh = openapi_text()
    assert CHECKED_IN.read_text() == fresh, "docs/openapi.json is stale: run scripts/openapi"
    assert json.loads(fresh)["info"]["title"] == "Consentry"
