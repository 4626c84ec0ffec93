"""``/v1/webhooks`` through the real app (decision 076): create (secret once), list, get with
attempts, patch, delete, replay, and the refusals."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, Caller, refused
from tests.factories import admin, make_contact

HOOK = {"scope": "acme", "url": "https://crm.example.com/h", "event_types": ["consent.opted_out"]}


def create(caller: Caller, key: str = "wh-1", **more: str) -> dict[str, Any]:
    response = caller.post("/v1/webhooks", json={**HOOK, **more}, headers={"Idempotency-Key": key})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_create_shows_the_secret_once_and_a_retry_hides_it(admin: Caller):
    first = create(admin)
    assert first["secret"].startswith("whsec_")
    assert first["webhook"]["event_types"] == ["consent.opted_out"]
    again = create(admin)
    assert again == {**first, "secret": None}


def test_list_get_patch_replay_delete(api: Api, admin: Caller):
    made = create(admin)["webhook"]
    path = f"/v1/webhooks/{made['id']}"
    assert [w["id"] for w in admin.get("/v1/webhooks").json()["webhooks"]] == [made["id"]]
    ada = make_contact(api.ledger)
    api.ledger.opt_out(admin_principal(), ada.id, "email", "acme")
    got = admin.get(path).json()
    assert (got["enabled"], got["disabled_reason"], got["attempts"]) == (True, None, [])
    patched = admin.patch(path, json={"enabled": False, "event_types": ["contact.erased"]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["disabled_reason"] == "disabled_by_admin"
    assert patched.json()["event_types"] == ["contact.erased"]
    replay = admin.post(
        f"{path}/replay", json={"since": "2026-01-01T00:00:00Z"}, headers={"Idempotency-Key": "r"}
    )
    assert (replay.status_code, replay.json()) == (202, {"queued": 0}), replay.text
    assert admin.delete(path).status_code == 200
    refused(admin.get(path), 404, "webhook_not_found")


def admin_principal():
    return admin()


def test_refusals(api: Api, admin: Caller):
    for role in ("staff", "viewer", "sender"):
        response = api.as_(role).post("/v1/webhooks", json=HOOK, headers={"Idempotency-Key": role})
        refused(response, 403, "forbidden")
    client_admin = api.as_("admin", "acme/newsletters")
    refused(
        client_admin.post("/v1/webhooks", json=HOOK, headers={"Idempotency-Key": "c"}),
        403,
        "out_of_scope",
    )
    mine = create(client_admin, "c2", scope="acme/newsletters")["webhook"]
    theirs = create(admin, "g", scope="acme/events")["webhook"]
    assert [w["id"] for w in client_admin.get("/v1/webhooks").json()["webhooks"]] == [mine["id"]]
    refused(client_admin.get(f"/v1/webhooks/{theirs['id']}"), 403, "out_of_scope")
    bad = {**HOOK, "url": "http://crm.example.com/h"}
    refused(
        admin.post("/v1/webhooks", json=bad, headers={"Idempotency-Key": "u"}),
        422,
        "invalid_webhook_url",
    )
    odd = {**HOOK, "event_types": ["consent.nope"]}
    refused(
        admin.post("/v1/webhooks", json=odd, headers={"Idempotency-Key": "t"}),
        422,
        "invalid_event_type",
    )


def test_a_url_to_a_private_network_is_refused(api: Api, admin: Caller):
    api.ledger.context.webhook_allow_private = False  # as a deployment has it (decision 080)
    metadata = {**HOOK, "url": "https://169.254.169.254/latest/meta-data"}
    refused(
        admin.post("/v1/webhooks", json=metadata, headers={"Idempotency-Key": "m"}),
        422,
        "webhook_url_not_public",
    )
    made = create(admin)["webhook"]
    local = admin.patch(f"/v1/webhooks/{made['id']}", json={"url": "https://[::1]/h"})
    refused(local, 422, "webhook_url_not_public")
