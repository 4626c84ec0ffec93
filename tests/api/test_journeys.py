"""Journeys through the real app (decision 078): a sender reports a journey message, staff see
the missed ones (for the group and per contact) and ask for a re-send once; admins define
scheduled journeys."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, Caller, refused
from tests.factories import WRITTEN, admin, make_contact

REPORT = {"channel": "email", "scope": "acme", "journey": "birthday", "message_id": "m-1"}


def report(caller: Caller, contact_id: str, key: str = "r-1", **more: Any) -> dict[str, Any]:
    body = {**REPORT, "contact_id": contact_id, **more}
    response = caller.post("/v1/journey-messages", json=body, headers={"Idempotency-Key": key})
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


def test_a_missed_birthday_is_listed_and_resent_once(api: Api):
    ada = make_contact(api.ledger)
    sender, staff = api.as_("sender"), api.as_("staff")
    missed = report(sender, ada.id)
    assert (missed["outcome"], missed["reason"], missed["resend"]) == ("missed", "no_consent", None)
    assert report(sender, ada.id, key="r-2") == missed  # the same message: the first answer
    api.ledger.opt_in(admin(), ada.id, "email", "acme", evidence=WRITTEN)
    page = staff.get("/v1/journey-messages/missed", params={"journey": "birthday"}).json()
    assert [m["id"] for m in page["messages"]] == [missed["id"]] and page["next"] is None
    mine = staff.get(f"/v1/contacts/{ada.id}/missed-messages").json()
    assert [m["id"] for m in mine["messages"]] == [missed["id"]]
    url = f"/v1/journey-messages/{missed['id']}/resend"
    done = staff.post(url, headers={"Idempotency-Key": "rs-1"})
    assert done.status_code == 200, done.text
    assert done.json()["resend"]["requested_by"].startswith("key_")  # the staff key's id
    refused(staff.post(url, headers={"Idempotency-Key": "rs-2"}), 409, "resend_already_requested")
    got = staff.get(f"/v1/journey-messages/{missed['id']}").json()
    assert got["resend"] == done.json()["resend"]
    sent = report(sender, ada.id, key="r-3", message_id="m-2")
    assert sent["outcome"] == "sent"
    refused(
        staff.post(f"/v1/journey-messages/{sent['id']}/resend", headers={"Idempotency-Key": "x"}),
        409,
        "journey_message_not_missed",
    )


def test_a_resend_is_refused_while_the_contact_is_not_eligible(api: Api):
    ada = make_contact(api.ledger)
    missed = report(api.as_("sender"), ada.id)
    response = api.as_("staff").post(
        f"/v1/journey-messages/{missed['id']}/resend", headers={"Idempotency-Key": "rs"}
    )
    refused(response, 409, "not_eligible_for_resend")
    assert response.json()["error"]["details"]["reason"] == "no_consent"
    refused(api.as_("viewer").get("/v1/journey-messages/jm_none"), 404, "journey_message_not_found")


def test_a_triggered_at_in_the_future_is_refused(api: Api):
    ada = make_contact(api.ledger)
    body = {**REPORT, "contact_id": ada.id, "triggered_at": "2026-02-01T00:00:00Z"}
    response = api.as_("sender").post(
        "/v1/journey-messages", json=body, headers={"Idempotency-Key": "f"}
    )
    refused(response, 422, "invalid_time")


def test_scheduled_journeys_are_created_listed_and_deleted(api: Api, admin: Caller):
    body = {"scope": "acme", "name": "Birthday", "channel": "email", "attribute": "birthday"}
    response = admin.post("/v1/journeys", json=body, headers={"Idempotency-Key": "j"})
    assert response.status_code == 201, response.text
    made = response.json()
    assert (made["name"], made["attribute"], made["category"]) == (
        "Birthday", "birthday", "marketing",
    )  # fmt: skip
    assert [j["id"] for j in admin.get("/v1/journeys").json()["journeys"]] == [made["id"]]
    assert admin.get(f"/v1/journeys/{made['id']}").json() == made
    assert admin.delete(f"/v1/journeys/{made['id']}").status_code == 200
    refused(admin.get(f"/v1/journeys/{made['id']}"), 404, "scheduled_journey_not_found")
    staff = api.as_("staff").post("/v1/journeys", json=body, headers={"Idempotency-Key": "s"})
    refused(staff, 403, "forbidden")
