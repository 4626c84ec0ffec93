"""API keys over HTTP: 401 for missing, malformed, wrong or revoked keys; only hashes stored."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from consentry.adapters.store.schema import api_keys, idempotency_keys
from consentry.ledger import Ledger
from tests.api.conftest import Api, Caller, refused
from tests.factories import WRITTEN


def test_a_request_without_a_key_is_unauthenticated(api: Api) -> None:
    response = api.client.get("/v1/contacts")
    refused(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"] == "Bearer"


def test_malformed_unknown_and_wrong_keys_are_unauthenticated(api: Api) -> None:
    token = api.key("admin")
    key_id = token.removeprefix("csk_").rpartition("_")[0]
    for header in (
        "Bearer nonsense",
        f"Bearer csk_{key_id}_" + "0" * 64,
        "Bearer csk_key_000000000000_" + "0" * 64,
        f"Basic {token}",
        token,
    ):
        response = api.client.get("/v1/contacts", headers={"Authorization": header})
        refused(response, 401, "unauthenticated")


def test_a_revoked_key_is_refused_at_once(api: Api, admin: Caller) -> None:
    made = admin.post("/v1/keys", json={"role": "sender", "scope": "acme/newsletters"})
    assert made.status_code == 201, made.text
    token, key_id = made.json()["token"], made.json()["key"]["id"]
    sender = {"Authorization": f"Bearer {token}"}
    params = {"contact": "ct_x", "channel": "sms", "scope": "acme/newsletters"}
    refused(
        api.client.get("/v1/eligibility", params=params, headers=sender), 404, "contact_not_found"
    )
    revoked = admin.delete(f"/v1/keys/{key_id}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    refused(
        api.client.get("/v1/eligibility", params=params, headers=sender), 401, "unauthenticated"
    )


def test_keys_are_listed_without_secrets_and_stored_only_as_hashes(
    admin: Caller, ledger: Ledger
) -> None:
    made = admin.post("/v1/keys", json={"role": "viewer", "scope": "acme", "name": "dashboards"})
    token = made.json()["token"]
    listed = admin.get("/v1/keys").json()["keys"]
    assert "dashboards" in {k["name"] for k in listed}
    assert token not in str(listed)
    secret = token.rpartition("_")[2]
    with ledger.store.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = [tuple(map(str, r)) for r in conn.execute(select(api_keys))]
    assert not any(secret in value for row in rows for value in row)
    assert any(hashlib.sha256(secret.encode()).hexdigest() in row for row in rows)


def test_a_retried_key_creation_returns_the_same_key_without_its_token(
    admin: Caller, ledger: Ledger
) -> None:
    body = {"role": "sender", "scope": "acme"}
    first = admin.post("/v1/keys", json=body, headers={"Idempotency-Key": "key-1"})
    again = admin.post("/v1/keys", json=body, headers={"Idempotency-Key": "key-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["key"] == again.json()["key"]
    assert first.json()["token"] and again.json()["token"] is None
    with ledger.store.engine.connect() as conn:  # type: ignore[attr-defined]
        saved = " ".join(str(r.body) for r in conn.execute(select(idempotency_keys)))
    assert first.json()["token"] not in saved


def test_a_key_role_must_be_one_a_key_can_hold(admin: Caller) -> None:
    refused(admin.post("/v1/keys", json={"role": "system", "scope": "acme"}), 422, "invalid")
    refused(
        admin.post("/v1/keys", json={"role": "sender", "scope": "globex"}), 404, "scope_not_found"
    )


def test_revoking_an_unknown_key_is_not_found(admin: Caller) -> None:
    refused(admin.delete("/v1/keys/key_nope"), 404, "api_key_not_found")


def test_a_key_acts_in_the_ledger_as_itself(api: Api) -> None:
    token = api.key("staff", "acme")
    key_id = token.removeprefix("csk_").rpartition("_")[0]
    staff = Caller(api.client, {"Authorization": f"Bearer {token}"})
    ada = staff.post("/v1/contacts", json={"email": "ada@example.com"}).json()["id"]
    event = staff.post(
        f"/v1/contacts/{ada}/consent/opt-in",
        json={"channel": "email", "scope": "acme", "evidence": WRITTEN},
    ).json()
    assert event["actor"] == {"kind": "api_key", "id": key_id}
