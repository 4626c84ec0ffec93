"""Idempotency-Key: a retried POST returns the first response and writes nothing new."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from consentry.adapters.clock import FixedClock
from consentry.core.errors import IdempotencyConflict, IdempotencyInProgress
from consentry.ledger import Ledger
from consentry.ledger.idempotency import begin_idempotent, finish_idempotent
from consentry.ledger.keys import authenticate
from tests.api.conftest import Api, Caller, refused
from tests.factories import WRITTEN, system


@pytest.fixture
def ada(admin: Caller) -> str:
    response = admin.post("/v1/contacts", json={"email": "ada@example.com"})
    contact_id: str = response.json()["id"]
    return contact_id


def events(ledger: Ledger, contact_id: str) -> int:
    return len(ledger.history(system(), contact_id))


def test_ten_retries_with_one_key_record_one_event(admin: Caller, ada: str, ledger: Ledger):
    body = {"channel": "email", "scope": "acme", "evidence": WRITTEN}
    url = f"/v1/contacts/{ada}/consent/opt-in"
    answers = [admin.post(url, json=body, headers={"Idempotency-Key": "op-1"}) for _ in range(10)]
    assert {a.status_code for a in answers} == {201}
    assert len({a.content for a in answers}) == 1
    assert [a.headers.get("idempotent-replayed") for a in answers[1:]] == ["true"] * 9
    assert events(ledger, ada) == 1


def test_without_a_key_each_post_runs(admin: Caller, ada: str, ledger: Ledger) -> None:
    url = f"/v1/contacts/{ada}/consent/opt-out"
    for _ in range(2):
        assert admin.post(url, json={"channel": "email", "scope": "acme"}).status_code == 201
    assert events(ledger, ada) == 2


def test_the_same_key_with_another_body_or_path_is_a_conflict(admin: Caller, ada: str) -> None:
    url = f"/v1/contacts/{ada}/consent/opt-out"
    key = {"Idempotency-Key": "op-2"}
    assert admin.post(url, json={"channel": "email", "scope": "acme"}, headers=key).is_success
    refused(
        admin.post(url, json={"channel": "sms", "scope": "acme"}, headers=key),
        409,
        "idempotency_conflict",
    )
    other = f"/v1/contacts/{ada}/consent/request-confirmation"
    refused(
        admin.post(other, json={"channel": "email", "scope": "acme"}, headers=key),
        409,
        "idempotency_conflict",
    )


def test_a_json_body_is_compared_by_content_not_spacing(admin: Caller, ada: str) -> None:
    url = f"/v1/contacts/{ada}/consent/opt-out"
    key = {"Idempotency-Key": "op-3", "Content-Type": "application/json"}
    first = admin.post(url, content=b'{"channel": "email", "scope": "acme"}', headers=key)
    again = admin.post(url, content=b'{"scope":"acme","channel":"email"}', headers=key)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"


def test_a_refusal_is_saved_and_replayed_too(api: Api, ada: str, ledger: Ledger) -> None:
    staff = api.as_("staff")
    url = f"/v1/contacts/{ada}/consent/opt-in"
    key = {"Idempotency-Key": "op-4"}
    for _ in range(3):
        refused(
            staff.post(url, json={"channel": "email", "scope": "acme"}, headers=key),
            422,
            "evidence_required",
        )
    assert events(ledger, ada) == 0


def test_keys_are_per_caller(api: Api, ada: str, ledger: Ledger) -> None:
    url = f"/v1/contacts/{ada}/consent/opt-out"
    body = {"channel": "email", "scope": "acme"}
    for caller in (api.as_("admin"), api.as_("admin")):
        response = caller.post(url, json=body, headers={"Idempotency-Key": "shared"})
        assert response.status_code == 201 and "idempotent-replayed" not in response.headers
    assert events(ledger, ada) == 2


def test_concurrent_duplicates_record_one_event(admin: Caller, ada: str, ledger: Ledger):
    url = f"/v1/contacts/{ada}/consent/opt-in"
    body = {"channel": "email", "scope": "acme", "evidence": WRITTEN}

    def send(_: int):
        return admin.post(url, json=body, headers={"Idempotency-Key": "race"})

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(16)))
    codes = {(a.status_code, a.json().get("error", {}).get("code")) for a in answers}
    assert codes <= {(201, None), (409, "idempotency_in_progress")}
    assert (201, None) in codes
    assert events(ledger, ada) == 1


def test_a_too_long_key_is_invalid(admin: Caller, ada: str) -> None:
    url = f"/v1/contacts/{ada}/consent/opt-out"
    response = admin.post(
        url, json={"channel": "email", "scope": "acme"}, headers={"Idempotency-Key": "k" * 256}
    )
    refused(response, 422, "invalid")


def test_a_claim_left_by_a_crash_is_taken_over_after_the_lease(
    api: Api, ledger: Ledger, clock: FixedClock
) -> None:
    me = authenticate(ledger.context, api.key("admin"))
    assert begin_idempotent(ledger.context, me, "k", "print") is None
    with pytest.raises(IdempotencyInProgress):
        begin_idempotent(ledger.context, me, "k", "print")
    with pytest.raises(IdempotencyConflict):
        begin_idempotent(ledger.context, me, "k", "another print")
    clock.set(clock.now() + timedelta(minutes=3))
    assert (
        begin_idempotent(ledger.context, me, "k", "print") is None
    )  # the crashed claim is taken over
    finish_idempotent(ledger.context, me, "k", 201, '{"ok":true}')
    saved = begin_idempotent(ledger.context, me, "k", "print")
    assert saved is not None and (saved.status, saved.body) == (201, '{"ok":true}')
    clock.set(clock.now() + timedelta(hours=25))
    assert (
        begin_idempotent(ledger.context, me, "k", "another print") is None
    )  # expired: a new request
    assert ledger.prune_idempotency_keys(system()) == 0
    clock.set(clock.now() + timedelta(hours=25))
    assert ledger.prune_idempotency_keys(system()) == 1
