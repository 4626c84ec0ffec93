"""Erasure over HTTP (decision 072): the person gone, the chain verifying, the address kept
suppressed, a repeat recording nothing, and the stored replies that named them gone too."""

from __future__ import annotations

from tests.api.conftest import Api, Caller, refused
from tests.factories import WRITTEN


def test_an_admin_erases_a_contact_once_and_the_address_stays_suppressed(
    api: Api, admin: Caller
) -> None:
    created = admin.post(
        "/v1/contacts",
        json={"email": "ada@example.com", "name": "Ada"},
        headers={"Idempotency-Key": "create-ada"},
    )
    ada = created.json()["id"]
    opted = admin.post(
        f"/v1/contacts/{ada}/consent/opt-in",
        json={"channel": "email", "scope": "acme", "evidence": WRITTEN},
    )
    assert opted.status_code in (200, 201), opted.text
    refused(api.as_("staff").post(f"/v1/contacts/{ada}/erase"), 403, "forbidden")
    refused(
        api.as_("admin", "acme/newsletters").post(f"/v1/contacts/{ada}/erase"), 403, "out_of_scope"
    )

    done = admin.post(f"/v1/contacts/{ada}/erase", json={"reference": "DSAR-42"})
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["already_erased"] is False and body["contact"]["email"] is None
    assert body["contact"]["erased_at"] is not None
    assert [e["action"] for e in body["events"]] == ["erased"]
    assert body["events"][0]["evidence"] == {"reference": "DSAR-42"}
    assert body["removed"]["evidence"] == 1 and body["removed"]["replays"] == 1

    again = admin.post(f"/v1/contacts/{ada}/erase").json()
    assert again["already_erased"] is True and again["events"] == [] and again["removed"] is None
    verified = admin.get("/v1/ledger/verify").json()
    assert verified["ok"] and verified["erased"] == 1 and verified["erased_evidence"] == 1
    refused(
        admin.post(
            "/v1/contacts",
            json={"email": "ADA@example.com"},
            headers={"Idempotency-Key": "create-ada"},  # the stored reply went with her
        ),
        409,
        "contact_erased",
    )
    history = admin.get(f"/v1/contacts/{ada}/events").json()
    assert history["events"][0]["evidence"] is None


def test_an_unknown_contact_or_a_bad_reference_is_refused(admin: Caller) -> None:
    refused(admin.post("/v1/contacts/ct_0000/erase"), 404, "contact_not_found")
    ada = admin.post("/v1/contacts", json={"email": "ada@example.com"}).json()["id"]
    refused(
        admin.post(f"/v1/contacts/{ada}/erase", json={"reference": "a\x00b"}), 422, "invalid_text"
    )
    refused(admin.post(f"/v1/contacts/{ada}/erase", json={"extra": 1}), 422, "invalid")
    assert admin.get(f"/v1/contacts/{ada}").json()["erased_at"] is None
