"""``/v1/rules`` through the real app (decision 077): create with an Idempotency-Key, list, get
with the skipped firings, delete, and the refusals."""

from __future__ import annotations

from typing import Any

from consentry.core.contacts import ContactDetails
from consentry.core.events import Source
from tests.api.conftest import Api, Caller, refused
from tests.factories import WRITTEN, as_contact, make_contact, staff

RULE = {
    "scope": "acme/newsletters", "trigger": "list_joined", "name": "vip", "channel": "email",
    "status": "opted_in", "permission": WRITTEN,
}  # fmt: skip


def create(caller: Caller, key: str = "lr-1", **more: Any) -> dict[str, Any]:
    response = caller.post("/v1/rules", json={**RULE, **more}, headers={"Idempotency-Key": key})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_create_list_get_with_skips_and_delete(api: Api, admin: Caller):
    made = create(admin)
    assert create(admin) == made  # the same key: the same answer, one rule
    assert (made["version"], made["trigger"], made["name"]) == (1, "list_joined", "vip")
    assert [r["id"] for r in admin.get("/v1/rules").json()["rules"]] == [made["id"]]
    ada = make_contact(api.ledger)
    api.ledger.opt_out(as_contact(ada), ada.id, "email", "acme", source=Source.UNSUBSCRIBE_LINK)
    api.ledger.update_contact(staff(), ada.id, ContactDetails(lists=["vip"]))
    path = f"/v1/rules/{made['id']}"
    [skip] = admin.get(path).json()["skips"]
    assert (skip["contact_id"], skip["reason"], skip["trigger"]) == (
        ada.id, "hard_opt_out_locked", "list_joined:vip",
    )  # fmt: skip
    assert admin.delete(path).status_code == 200
    refused(admin.get(path), 404, "rule_not_found")


def test_refusals(api: Api, admin: Caller):
    response = api.as_("staff").post("/v1/rules", json=RULE, headers={"Idempotency-Key": "s"})
    refused(response, 403, "forbidden")
    client_admin = api.as_("admin", "acme/newsletters")
    outside = {**RULE, "scope": "acme"}
    refused(
        client_admin.post("/v1/rules", json=outside, headers={"Idempotency-Key": "c"}),
        403,
        "out_of_scope",
    )
    no_permission = {**RULE, "permission": None}
    response = admin.post("/v1/rules", json=no_permission, headers={"Idempotency-Key": "n"})
    refused(response, 422, "evidence_required")
