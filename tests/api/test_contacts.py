"""Contacts, history, status at a moment, scopes and the ledger endpoints over HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from consentry.adapters.clock import FixedClock
from tests.api.conftest import Api, Caller, refused
from tests.factories import WRITTEN


def add(caller: Caller, **details) -> dict[str, Any]:
    response = caller.post("/v1/contacts", json=details)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_contact_is_created_normalised_found_and_updated(admin: Caller) -> None:
    ada = add(admin, email="Ada@Example.com", mobile="+44 7700 900123", attributes={"tier": "a"})
    assert (ada["email"], ada["mobile"]) == ("ada@example.com", "+447700900123")
    assert admin.get(f"/v1/contacts/{ada['id']}").json() == ada
    assert admin.get("/v1/contacts/find", params={"email": "ADA@example.com"}).json() == ada
    assert (
        admin.get("/v1/contacts/find", params={"mobile": "+447700900123"}).json()["id"] == ada["id"]
    )
    refused(
        admin.get("/v1/contacts/find", params={"email": "bob@example.com"}),
        404,
        "contact_not_found",
    )
    refused(admin.get("/v1/contacts/find"), 422, "invalid")
    changed = admin.patch(f"/v1/contacts/{ada['id']}", json={"attributes": {"city": "Leeds"}})
    assert changed.json()["attributes"] == {"tier": "a", "city": "Leeds"}


def test_contacts_are_listed_with_filters_and_a_cursor(admin: Caller) -> None:
    ids = [
        add(admin, email=f"p{n}@example.com", lists=["vip"] if n % 2 else [])["id"]
        for n in range(5)
    ]
    seen: list[str] = []
    after = None
    while True:
        params = {"limit": 2, **({"after": after} if after else {})}
        page = admin.get("/v1/contacts", params=params).json()
        seen += [c["id"] for c in page["contacts"]]
        after = page["next"]
        if after is None:
            break
    assert seen == sorted(ids)
    vip = admin.get("/v1/contacts", params={"list": "vip"}).json()["contacts"]
    assert len(vip) == 2
    admin.post(f"/v1/contacts/{ids[0]}/consent/opt-out", json={"channel": "sms", "scope": "acme"})
    out = admin.get("/v1/contacts", params={"opted_out": "sms"}).json()["contacts"]
    assert [c["id"] for c in out] == [ids[0]]


def test_history_and_status_at_a_moment_name_the_event(admin: Caller, clock: FixedClock) -> None:
    ada = add(admin, email="ada@example.com")["id"]
    before = clock.now()
    clock.set(before + timedelta(hours=1))
    opted_in = admin.post(
        f"/v1/contacts/{ada}/consent/opt-in",
        json={"channel": "email", "scope": "acme", "evidence": WRITTEN},
    ).json()
    clock.set(before + timedelta(hours=2))
    history = admin.get(f"/v1/contacts/{ada}/events").json()["events"]
    assert [e["id"] for e in history] == [opted_in["id"]]
    assert history[0]["evidence"] == WRITTEN
    params = {"channel": "email", "scope": "acme/newsletters"}
    now = admin.get(f"/v1/contacts/{ada}/status", params=params).json()
    assert (now["status"], now["effective"], now["effective_scope_id"]) == (
        "none",
        "opted_in",
        "acme",
    )
    assert now["effective_event"]["id"] == opted_in["id"]
    then = admin.get(f"/v1/contacts/{ada}/status", params={**params, "at": before.isoformat()})
    assert then.json()["effective"] == "none"
    refused(
        admin.get(f"/v1/contacts/{ada}/status", params={**params, "at": "2026-01-01T00:00"}),
        422,
        "invalid",
    )


def test_a_group_admin_lifts_a_bounce_with_evidence(api: Api, admin: Caller) -> None:
    ada = add(admin, email="ada@example.com")["id"]
    bounced = api.as_("sender").post(f"/v1/contacts/{ada}/bounces", json={"channel": "email"})
    assert bounced.status_code == 201, bounced.text
    url = f"/v1/contacts/{ada}/suppressions/clear"
    named = {"channel": "email", "suppression": "bounced"}
    refused(admin.post(url, json=named), 422, "evidence_required")
    cleared = admin.post(url, json={**named, "evidence": {"ticket": "T-1"}})
    assert cleared.status_code == 201 and cleared.json()["action"] == "suppression_cleared"


def test_scopes_are_listed_added_and_read(api: Api, admin: Caller) -> None:
    client_admin = api.as_("admin", "acme/newsletters")
    listed = [s["id"] for s in client_admin.get("/v1/scopes").json()["scopes"]]
    assert listed == ["acme/newsletters", "acme/newsletters/ada", "acme/newsletters/alan"]
    made = client_admin.post("/v1/scopes", json={"id": "acme/newsletters/carol", "name": "Carol"})
    assert made.status_code == 201 and made.json()["kind"] == "user"
    refused(
        client_admin.post("/v1/scopes", json={"id": "acme/newsletters/carol"}), 409, "scope_exists"
    )
    assert admin.get("/v1/scopes/acme/newsletters/carol").json()["name"] == "Carol"
    refused(admin.get("/v1/scopes/globex"), 404, "scope_not_found")
    refused(admin.post("/v1/scopes", json={"id": "acme/Not A Slug"}), 422, "invalid_scope")


def test_the_ledger_verifies_and_exports_a_digest(admin: Caller) -> None:
    ada = add(admin, email="ada@example.com")["id"]
    admin.post(f"/v1/contacts/{ada}/consent/opt-out", json={"channel": "email", "scope": "acme"})
    report = admin.get("/v1/ledger/verify").json()
    assert report["ok"] is True and report["checked"] == 1 and report["problems"] == []
    digest = admin.get("/v1/ledger/digest").json()
    assert (digest["root"], digest["events"]) == (report["root"], 1)
