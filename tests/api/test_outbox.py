"""The outbox for the sending service (GET /v1/outbox, POST /v1/outbox/{id}/sent), and the
confirmation sweep (POST /v1/confirmations/expire)."""

from __future__ import annotations

from datetime import timedelta

from consentry.adapters.clock import FixedClock
from consentry.core.contacts import ContactDetails
from consentry.ledger import Ledger
from tests.api.conftest import Api, refused
from tests.factories import admin, sender, system

NUMBER = "+447700900900"
NEWS = "acme/newsletters"


def _replies(ledger: Ledger, count: int) -> None:
    """``count`` keyword replies waiting in acme's outbox (one HELP per contact)."""
    ledger.configure_number(system(), NUMBER, NEWS, channels=["sms"])
    for n in range(count):
        ledger.receive_message(sender(), "twilio", f"SM{n}", f"+44770090012{n}", NUMBER, "HELP")


def test_the_sender_pages_through_the_outbox_and_marks_messages_sent(
    api: Api, ledger: Ledger
) -> None:
    _replies(ledger, 3)
    gateway = api.as_("sender", "acme")
    first = gateway.get("/v1/outbox", params={"limit": 2}).json()
    assert len(first["messages"]) == 2 and first["next"] == first["messages"][-1]["id"]
    message = first["messages"][0]
    assert (message["channel"], message["category"], message["sent_at"]) == ("sms", "help", None)
    assert message["to"].startswith("+44770090012") and "STOP" in message["body"]
    rest = gateway.get("/v1/outbox", params={"limit": 2, "after": first["next"]}).json()
    assert len(rest["messages"]) == 1 and rest["next"] is None
    ids = [m["id"] for m in first["messages"] + rest["messages"]]
    assert len(set(ids)) == 3
    done = gateway.post(f"/v1/outbox/{ids[0]}/sent")
    assert (done.status_code, done.json()) == (200, {"id": ids[0], "marked": True})
    assert gateway.post(f"/v1/outbox/{ids[0]}/sent").json()["marked"] is False
    pending = gateway.get("/v1/outbox").json()["messages"]
    assert [m["id"] for m in pending] == ids[1:]
    every = gateway.get("/v1/outbox", params={"pending": "false"}).json()["messages"]
    assert [m["sent_at"] is not None for m in every] == [True, False, False]


def test_the_outbox_is_the_groups(api: Api, ledger: Ledger) -> None:
    _replies(ledger, 1)
    [item] = ledger.list_outbox(sender())
    url = f"/v1/outbox/{item.id}/sent"
    refused(api.as_("sender", NEWS).get("/v1/outbox"), 403, "out_of_scope")
    refused(api.as_("sender", NEWS).post(url), 403, "out_of_scope")
    refused(api.as_("staff").get("/v1/outbox"), 403, "forbidden")
    refused(api.as_("viewer").post(url), 403, "forbidden")
    globex = api.as_("sender", "globex")
    assert globex.get("/v1/outbox").json() == {"messages": [], "next": None}
    assert globex.post(url).json()["marked"] is False
    assert api.as_("admin").get("/v1/outbox").json()["messages"][0]["id"] == item.id
    refused(api.as_("sender").get("/v1/outbox", params={"limit": 0}), 422, "invalid")


def test_marking_sent_takes_an_idempotency_key(api: Api, ledger: Ledger) -> None:
    _replies(ledger, 1)
    [item] = ledger.list_outbox(sender())
    gateway = api.as_("sender")
    headers = {"Idempotency-Key": "sent-1"}
    first = gateway.post(f"/v1/outbox/{item.id}/sent", headers=headers)
    again = gateway.post(f"/v1/outbox/{item.id}/sent", headers=headers)
    assert first.json()["marked"] is True and again.json()["marked"] is True
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_group_admin_sweeps_expired_confirmations(
    api: Api, ledger: Ledger, clock: FixedClock
) -> None:
    ada = ledger.add_contact(system(), ContactDetails(email="ada@example.com")).id
    ledger.request_confirmation(system(), ada, "email", NEWS)
    group_admin = api.as_("admin")
    assert group_admin.post("/v1/confirmations/expire").json() == {"expired": 0}
    clock.set(clock.now() + timedelta(days=8))
    headers = {"Idempotency-Key": "sweep-1"}
    swept = group_admin.post("/v1/confirmations/expire", headers=headers)
    assert (swept.status_code, swept.json()) == (200, {"expired": 1})
    replay = group_admin.post("/v1/confirmations/expire", headers=headers)
    assert replay.json() == {"expired": 1} and replay.headers["Idempotent-Replayed"] == "true"
    assert group_admin.post("/v1/confirmations/expire").json() == {"expired": 0}
    assert ledger.history(admin(), ada)[-1].action.value == "confirmation_expired"


def test_only_a_group_admin_sweeps(api: Api) -> None:
    url = "/v1/confirmations/expire"
    refused(api.as_("admin", NEWS).post(url), 403, "out_of_scope")
    for role in ("staff", "viewer", "sender"):
        refused(api.as_(role).post(url), 403, "forbidden")
    refused(api.as_("admin").post(url, params={"limit": 0}), 422, "invalid")
