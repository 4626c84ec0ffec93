"""``PATCH /v1/rules/{id}`` through the real app (decision 077): a new version of the same
rule; what is not given stays, ``null`` clears, and the refusals are the other routes'."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, Caller, refused
from tests.factories import WRITTEN

RULE = {
    "scope": "acme/newsletters", "trigger": "attribute_changed", "name": "tier",
    "value": "gold", "channel": "email", "status": "opted_out",
}  # fmt: skip


def create(caller: Caller) -> dict[str, Any]:
    response = caller.post("/v1/rules", json=RULE, headers={"Idempotency-Key": "r-1"})
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def test_a_patch_makes_a_new_version_and_null_clears(admin: Caller):
    rule = create(admin)
    path = f"/v1/rules/{rule['id']}"
    moved = admin.patch(path, json={"channel": "sms"})
    assert moved.status_code == 200, moved.text
    assert {k: moved.json()[k] for k in ("id", "version", "channel", "name", "value")} == {
        "id": rule["id"], "version": 2, "channel": "sms", "name": "tier", "value": "gold",
    }  # fmt: skip
    cleared = admin.patch(path, json={"value": None}).json()
    assert (cleared["version"], cleared["value"]) == (3, None)
    revalidate = {"status": "opted_in", "permission": WRITTEN}
    opted_in = admin.patch(path, json=revalidate).json()
    assert (opted_in["status"], opted_in["permission"]) == ("opted_in", WRITTEN)
    unchanged = admin.patch(path, json={}).json()
    assert unchanged["version"] == 4
    assert admin.get(path).json()["version"] == 4
    assert [r["version"] for r in admin.get("/v1/rules").json()["rules"]] == [4]


def test_patch_refusals(api: Api, admin: Caller):
    rule = create(admin)
    path = f"/v1/rules/{rule['id']}"
    refused(admin.patch(path, json={"status": "opted_in"}), 422, "evidence_required")
    refused(admin.patch(path, json={"trigger": "list_joined"}), 422, "invalid")
    refused(admin.patch(path, json={"scope": "acme"}), 422, "invalid")  # a rule stays put
    refused(api.as_("staff").patch(path, json={"channel": "sms"}), 403, "forbidden")
    refused(
        api.as_("admin", "acme/events").patch(path, json={"channel": "sms"}), 403, "out_of_scope"
    )
    refused(api.as_("admin", "globex").patch(path, json={"channel": "sms"}), 404, "rule_not_found")
    assert admin.get(path).json()["version"] == 1
