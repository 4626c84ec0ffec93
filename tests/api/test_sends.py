"""``/v1/sends``, ``/v1/violations`` and ``/v1/compliance/report`` through the real app
(decision 079): a send reported after the contact's STOP is a violation with the STOP as
evidence, one before it is not; repeats answer the same; the report measures the opt-out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from consentry.core.events import Source
from tests.api.conftest import Api, Caller, refused
from tests.factories import T0, WRITTEN, as_contact, make_contact, staff

NEWS = "acme/newsletters"
HOUR = timedelta(hours=1)


def _item(contact: str, message_id: str, sent_at: Any, **more: Any) -> dict[str, Any]:
    found = {"contact": contact, "channel": "email", "scope": NEWS, "message_id": message_id}
    return {**found, "sent_at": sent_at.isoformat(), **more}


def _report(caller: Caller, *items: dict[str, Any], key: str | None = None) -> list[Any]:
    headers = {"Idempotency-Key": key} if key else {}
    response = caller.post("/v1/sends", json={"sends": list(items)}, headers=headers)
    assert response.status_code == 200, response.text
    results: list[Any] = response.json()["results"]
    return results


def test_a_send_after_the_stop_is_a_violation_and_one_before_it_is_not(api: Api, ledger):
    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "email", NEWS, evidence=WRITTEN)
    ledger.clock.set(T0 + HOUR)
    stop = ledger.opt_out(as_contact(ada), ada.id, "email", NEWS, source=Source.UNSUBSCRIBE_LINK)
    ledger.clock.set(T0 + 5 * HOUR)
    sender = api.as_("sender", NEWS)
    before, after = _report(
        sender,
        _item(ada.id, "m-before", T0 + HOUR / 2),
        {"email": "Ada@Example.com", "channel": "email", "scope": NEWS, "message_id": "m-after",
         "sent_at": (T0 + 4 * HOUR).isoformat()},
        key="batch-1",
    )  # fmt: skip
    assert (before["status"], before["reason"]) == ("eligible", "opted_in")
    assert (after["status"], after["reason"], after["event_id"]) == (
        "violation", "hard_opt_out", stop.id
    )  # fmt: skip
    again = _report(sender, _item(ada.id, "m-before", T0 + HOUR / 2))
    assert again == [before]
    page = api.as_("viewer").get("/v1/violations", params={"channel": "email"}).json()
    [violation] = page["violations"]
    assert violation["id"] == after["violation_id"] and page["next"] is None
    assert violation["event"]["id"] == stop.id and violation["event"]["action"] == "opted_out"
    one = api.as_("viewer").get("/v1/violations", params={"limit": 1}).json()
    assert one["next"] == violation["id"]
    report = (
        api.as_("staff")
        .get(
            "/v1/compliance/report",
            params={"since": T0.isoformat(), "until": (T0 + 24 * HOUR).isoformat()},
        )
        .json()
    )
    assert report["sends"] == [{"scope_id": NEWS, "channel": "email", "sends": 2, "violations": 1}]
    [measured] = report["honouring"]
    assert measured["event_id"] == stop.id and measured["took_seconds"] == 3 * 3600
    assert measured["clock"] == "bulk_sender_2_days" and not measured["exceeded"]


def test_refusals(api: Api, ledger):
    ada = make_contact(ledger)
    sender = api.as_("sender", NEWS)
    [outside, unknown] = _report(
        sender,
        _item(ada.id, "m-1", T0, scope="acme/events"),
        _item("ct_nobody", "m-2", T0),
    )
    assert (outside["status"], outside["code"]) == ("refused", "out_of_scope")
    assert unknown["code"] == "contact_not_found"
    big = {"sends": [_item(ada.id, f"m-{n}", T0) for n in range(1001)]}
    refused(sender.post("/v1/sends", json=big), 413, "batch_too_large")
    refused(api.as_("staff").post("/v1/sends", json={"sends": []}), 403, "forbidden")
    refused(sender.get("/v1/violations"), 403, "forbidden")
    params = {"since": (T0 + HOUR).isoformat(), "until": T0.isoformat()}
    refused(api.as_("viewer").get("/v1/compliance/report", params=params), 422, "invalid")
