"""Property-based fuzzing of the API against its own OpenAPI document (schemathesis 4).

Every operation gets a few generated requests with a valid admin key: no response may be a
5xx, and every response must match the status codes, content types and schemas documented.
(The operations are walked by hand rather than with ``schemathesis.pytest.from_fixture``, whose
lazy loader does not run under pytest 9.)
"""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from consentry.core.contacts import ContactDetails
from consentry.ledger import Ledger
from tests.factories import WRITTEN, system

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = int(__import__("os").environ.get("FUZZ_EXAMPLES", "10"))


def test_no_5xx_and_every_response_matches_its_schema(app: FastAPI, ledger: Ledger) -> None:
    ada = ledger.add_contact(system(), ContactDetails(email="ada@example.com"))
    ledger.opt_in(system(), ada.id, "email", "acme", evidence=WRITTEN)
    _, token = ledger.create_api_key(system(), "admin", "acme", name="fuzz")
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 25
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        fuzz()
