"""The typed Python client against the real app (a TestClient is an httpx.Client)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from consentry.client import ClientError, ConsentryClient, Decision
from consentry.ledger import Ledger
from tests.factories import WRITTEN, system

BASE = "http://testserver"


def client_for(app: FastAPI, ledger: Ledger, role: str, scope: str = "acme") -> ConsentryClient:
    _, token = ledger.create_api_key(system(), role, scope, name="client test")
    return ConsentryClient(BASE, token, http=TestClient(app, base_url=BASE))


def test_a_sender_checks_and_resolves_with_the_client(app: FastAPI, ledger: Ledger) -> None:
    admin = client_for(app, ledger, "admin")
    ada = admin.add_contact(email="ada@example.com", mobile="+447700900123")
    assert admin.find_contact(email="ada@example.com")["id"] == ada["id"]
    event = admin.opt_in(ada["id"], "sms", "acme", WRITTEN)
    assert event["action"] == "opted_in"
    sender = client_for(app, ledger, "sender", "acme/newsletters")
    decision = sender.check(contact=ada["id"], channel="sms", scope="acme/newsletters")
    assert decision == Decision(True, "opted_in", "acme", event["id"])
    checks = [
        {"contact": ada["id"], "channel": c, "scope": "acme/newsletters"} for c in ("sms", "voice")
    ]
    assert [d.reason for d in sender.check_many(checks)] == ["opted_in", "no_consent"]
    audience = sender.audience(channel="sms", scope="acme/newsletters")
    assert [c["contact_id"] for c in audience.contacts] == [ada["id"]]
    assert (audience.eligible, audience.excluded, audience.unknown) == (1, {}, 0)
    admin.opt_out(ada["id"], "sms", "acme")
    decision = sender.check(contact=ada["id"], channel="sms", scope="acme/newsletters")
    assert decision.reason == "soft_opt_out"
    assert sender.report_bounce(ada["id"], "sms")["action"] == "bounced"


def test_refusals_raise_client_errors_with_the_code(app: FastAPI, ledger: Ledger) -> None:
    staff = client_for(app, ledger, "staff")
    ada = staff.add_contact(email="ada@example.com")
    with pytest.raises(ClientError) as refused:
        staff.opt_out(ada["id"], "email", "acme")
    assert (refused.value.status, refused.value.code) == (403, "forbidden")
    with pytest.raises(ClientError) as missing:
        staff.find_contact(email="nobody@example.com")
    assert missing.value.code == "contact_not_found"
    with pytest.raises(ClientError) as audience:
        list(staff.iter_audience(channel="sms", scope="globex"))
    assert audience.value.code == "scope_not_found"
    bad = ConsentryClient(BASE, "csk_nope_nope", http=TestClient(app, base_url=BASE))
    with pytest.raises(ClientError) as unauthenticated:
        bad.check(contact="x", channel="sms", scope="acme")
    assert unauthenticated.value.status == 401


def test_a_write_retried_with_its_key_records_one_event(app: FastAPI, ledger: Ledger) -> None:
    with client_for(app, ledger, "admin") as admin:
        ada = admin.add_contact(email="ada@example.com")
        first = admin.opt_in(ada["id"], "email", "acme", WRITTEN, idempotency_key="once")
        again = admin.opt_in(ada["id"], "email", "acme", WRITTEN, idempotency_key="once")
    assert first == again
    assert len(ledger.history(system(), ada["id"])) == 1


def test_the_server_factory_serves_the_api(tmp_path) -> None:
    from consentry.server import create_server
    from consentry.settings import Settings

    url = f"sqlite:///{tmp_path}/s.db"
    app = create_server(Settings(url, address_key="ab" * 32, secret_keys="t1:" + "cd" * 32))
    client = TestClient(app)
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/v1/contacts").json()["error"]["code"] == "unauthenticated"
    app.state.ledger.close()
