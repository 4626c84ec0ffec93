"""One error body everywhere: unknown routes, wrong methods, malformed input, big bodies."""

from __future__ import annotations

from consentry.api.errors import status_of
from consentry.core import errors as e
from tests.api.conftest import Api, Caller, refused


def test_an_unknown_route_is_not_found_with_the_error_body(api: Api) -> None:
    refused(api.client.get("/v1/nothing-here"), 404, "not_found")


def test_a_wrong_method_is_method_not_allowed(admin: Caller) -> None:
    refused(admin.request("PUT", "/v1/contacts"), 405, "method_not_allowed")


def test_a_malformed_body_is_invalid_with_details(admin: Caller) -> None:
    response = admin.post("/v1/contacts", json={"emial": "ada@example.com"})
    refused(response, 422, "invalid")
    assert response.json()["error"]["details"]["errors"][0]["loc"] == ["body", "emial"]
    refused(
        admin.post(
            "/v1/contacts", content=b"{not json", headers={"Content-Type": "application/json"}
        ),
        422,
        "invalid",
    )


def test_a_bad_address_is_refused_with_its_own_code(admin: Caller) -> None:
    refused(admin.post("/v1/contacts", json={"email": "not an address"}), 422, "invalid_email")
    refused(admin.post("/v1/contacts", json={"mobile": "12"}), 422, "invalid_mobile")


def test_the_same_address_twice_is_a_conflict(admin: Caller) -> None:
    assert admin.post("/v1/contacts", json={"email": "ada@example.com"}).status_code == 201
    refused(admin.post("/v1/contacts", json={"email": "ADA@example.com"}), 409, "contact_exists")


def test_an_oversized_body_is_payload_too_large(admin: Caller) -> None:
    big = b'{"email": "' + b"a" * (33 * 1024 * 1024) + b'"}'
    response = admin.post("/v1/contacts", content=big, headers={"Content-Type": "application/json"})
    refused(response, 413, "payload_too_large")


def test_every_error_class_maps_to_a_4xx_or_5xx_status() -> None:
    for cls in e.all_error_classes():
        status = status_of(cls("x"))
        assert 400 <= status < 600, cls
    assert status_of(e.Forbidden("x")) == status_of(e.OutOfScope("x")) == 403
    assert status_of(e.HardOptOutLocked("x")) == 409
    assert status_of(e.EvidenceRequired("x")) == 422
    assert status_of(e.Unauthenticated("x")) == 401
    assert status_of(e.ContactNotFound("x")) == 404
