"""The seeds' scenarios from the ledger issue, now over HTTP (status AND code)."""

from __future__ import annotations

import json
from typing import Any

from tests.api.conftest import Api, Caller, refused
from tests.factories import WRITTEN


def add(caller: Caller, email: str, mobile: str | None = None) -> str:
    response = caller.post("/v1/contacts", json={"email": email, "mobile": mobile})
    assert response.status_code == 201, response.text
    contact_id: str = response.json()["id"]
    return contact_id


def change(caller: Caller, contact: str, verb: str, channel: str, scope: str, **more):
    body = {"channel": channel, "scope": scope, **more}
    return caller.post(f"/v1/contacts/{contact}/consent/{verb}", json=body)


def check(caller: Caller, contact: str, channel: str, scope: str) -> dict[str, Any]:
    params = {"contact": contact, "channel": channel, "scope": scope}
    response = caller.get("/v1/eligibility", params=params)
    assert response.status_code == 200, response.text
    decision: dict[str, Any] = response.json()
    return decision


def test_staff_opt_in_needs_evidence_of_written_permission(api: Api) -> None:
    staff = api.as_("staff")
    ada = add(staff, "ada@example.com", "+447700900123")
    refused(change(staff, ada, "opt-in", "sms", "acme"), 422, "evidence_required")
    assert change(staff, ada, "opt-in", "sms", "acme", evidence=WRITTEN).status_code == 201
    decision = check(staff, ada, "sms", "acme/newsletters/ada")
    assert decision["allowed"] is True and decision["reason"] == "opted_in"


def test_staff_cannot_opt_a_contact_out(api: Api, admin: Caller) -> None:
    ada = add(admin, "ada@example.com")
    refused(change(api.as_("staff"), ada, "opt-out", "email", "acme"), 403, "forbidden")


def test_nobody_but_the_contact_reverses_a_hard_opt_out(api: Api, admin: Caller) -> None:
    ada = add(admin, "ada@example.com", "+447700900123")
    assert change(admin, ada, "opt-in", "sms", "acme", evidence=WRITTEN).status_code == 201
    stop = {"inbound": "STOP"}
    sender = api.as_("sender")
    response = change(sender, ada, "opt-out", "sms", "acme", source="sms_keyword", evidence=stop)
    assert response.status_code == 201 and response.json()["strength"] == "hard"
    reason = {"reason": "contact_asked", "evidence": WRITTEN}
    refused(change(admin, ada, "resubscribe", "sms", "acme", **reason), 409, "hard_opt_out_locked")
    refused(
        change(admin, ada, "opt-in", "sms", "acme", evidence=WRITTEN), 409, "hard_opt_out_locked"
    )
    assert check(admin, ada, "sms", "acme")["reason"] == "hard_opt_out"


def test_signing_up_an_opted_out_contact_is_refused_and_resubscribe_needs_a_reason(
    api: Api, admin: Caller
) -> None:
    ada = add(admin, "ada@example.com")
    assert change(admin, ada, "opt-out", "email", "acme").status_code == 201
    signup = change(api.as_("staff"), ada, "request-confirmation", "email", "acme")
    refused(signup, 409, "opted_out")
    refused(
        change(admin, ada, "resubscribe", "email", "acme", evidence=WRITTEN), 422, "reason_required"
    )
    again = change(
        admin, ada, "resubscribe", "email", "acme", reason="mistaken_unsubscribe", evidence=WRITTEN
    )
    assert again.status_code == 201, again.text
    assert check(admin, ada, "email", "acme")["allowed"] is True


def test_sms_broadcast_reaches_b_and_voice_broadcast_reaches_a(api: Api, admin: Caller) -> None:
    a = add(admin, "a@example.com", "+447700900001")
    b = add(admin, "b@example.com", "+447700900002")
    for contact in (a, b):
        for channel in ("sms", "voice"):
            assert change(admin, contact, "opt-in", channel, "acme", evidence=WRITTEN).is_success
    assert change(admin, a, "opt-out", "sms", "acme").status_code == 201
    assert change(admin, b, "opt-out", "voice", "acme").status_code == 201
    sender = api.as_("sender")

    def audience(channel: str) -> tuple[set[str], dict[str, Any]]:
        body = {"channel": channel, "scope": "acme/newsletters", "segment": {}}
        response = sender.post("/v1/audiences/resolve", json=body)
        assert response.status_code == 200, response.text
        lines = [json.loads(line) for line in response.text.splitlines()]
        assert lines[-1]["type"] == "summary"
        return {x["contact_id"] for x in lines[:-1]}, lines[-1]

    sms, sms_summary = audience("sms")
    voice, _ = audience("voice")
    assert (sms, voice) == ({b}, {a})
    assert sms_summary["excluded"] == {"soft_opt_out": 1} and sms_summary["eligible"] == 1


def test_opt_outs_filter_down_from_group_to_client_to_user(admin: Caller) -> None:
    ada = add(admin, "ada@example.com")
    assert change(admin, ada, "opt-in", "email", "acme", evidence=WRITTEN).status_code == 201
    assert change(admin, ada, "opt-out", "email", "acme/newsletters/ada").status_code == 201
    assert check(admin, ada, "email", "acme/newsletters/ada")["reason"] == "soft_opt_out"
    assert check(admin, ada, "email", "acme/newsletters/alan")["allowed"] is True
    assert change(admin, ada, "opt-out", "email", "acme/newsletters").status_code == 201
    assert check(admin, ada, "email", "acme/newsletters/alan")["reason"] == "soft_opt_out"
    assert check(admin, ada, "email", "acme/events/bob")["allowed"] is True
    assert change(admin, ada, "opt-out", "email", "acme").status_code == 201
    decision = check(admin, ada, "email", "acme/events/bob")
    assert decision["reason"] == "soft_opt_out" and decision["scope_id"] == "acme"


def test_a_client_admin_cannot_act_for_another_client(api: Api, admin: Caller) -> None:
    ada = add(admin, "ada@example.com")
    client_admin = api.as_("admin", "acme/newsletters")
    refused(change(client_admin, ada, "opt-out", "email", "acme/events"), 403, "out_of_scope")
    refused(change(client_admin, ada, "opt-out", "email", "acme"), 403, "out_of_scope")
    assert change(client_admin, ada, "opt-out", "email", "acme/newsletters").status_code == 201


def test_a_bounce_stays_after_the_contact_opts_back_in(api: Api, admin: Caller) -> None:
    ada = add(admin, "ada@example.com", "+447700900123")
    assert change(admin, ada, "opt-in", "sms", "acme", evidence=WRITTEN).status_code == 201
    sender = api.as_("sender")
    bounce = sender.post(f"/v1/contacts/{ada}/bounces", json={"channel": "sms"})
    assert bounce.status_code == 201 and bounce.json()["action"] == "bounced"
    stop, start = {"inbound": "STOP"}, {"inbound": "START"}
    out = change(sender, ada, "opt-out", "sms", "acme", source="sms_keyword", evidence=stop)
    assert out.status_code == 201, out.text
    back = change(sender, ada, "opt-in", "sms", "acme", source="sms_keyword", evidence=start)
    assert back.status_code == 201, back.text
    assert check(sender, ada, "sms", "acme") == {
        "allowed": False,
        "reason": "bounced",
        "scope_id": None,
        "event_id": None,
        "policy": None,  # a marketing check names no transactional policy (decision 075)
    }


def test_adding_opted_out_contacts_to_a_campaign_flags_them(api: Api, admin: Caller) -> None:
    ada = add(admin, "ada@example.com")
    alan = add(admin, "alan@example.com")
    for contact in (ada, alan):
        assert change(admin, contact, "opt-in", "email", "acme", evidence=WRITTEN).is_success
    assert change(admin, alan, "opt-out", "email", "acme/newsletters").status_code == 201
    body = {
        "channel": "email",
        "scope": "acme/newsletters/ada",
        "segment": {"emails": ["ada@example.com", "alan@example.com", "nobody@example.com"]},
    }
    response = api.as_("staff").post("/v1/campaigns/check", json=body)
    assert response.status_code == 200, response.text
    found = response.json()
    rows = {r["contact_id"]: r for r in found["contacts"]}
    assert rows[ada]["allowed"] is True and rows[ada]["flagged"] is False
    assert rows[alan]["flagged"] is True and rows[alan]["reason"] == "soft_opt_out"
    assert (found["allowed"], found["flagged"], found["unknown"]) == (1, 1, 1)
