"""Idempotency-Key: a retried POST returns the first response and writes nothing new."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from consentry.adapters.clock import FixedClock
from consentry.core.access import IdempotencyClaim
from consentry.core.audience import Segment
from consentry.core.channels import Channel
from consentry.core.errors import (
    ConsentryError,
    IdempotencyConflict,
    IdempotencyInProgress,
    Invalid,
    ScopeNotFound,
    Unavailable,
)
from consentry.core.messaging import OutboundMessage
from consentry.core.scopes import Scope
from consentry.ledger import Context, Ledger
from consentry.ledger.idempotency import (
    IDEMPOTENCY_LEASE,
    IDEMPOTENCY_TTL,
    Answer,
    owner_of,
    run_once,
)
from consentry.ledger.keys import authenticate
from tests.api.conftest import Api, Caller, refused
from tests.factories import WRITTEN, make_contact, system


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
    # a duplicate waits on the claim until the first request committed, then replays it
    assert {a.status_code for a in answers} == {201}
    assert len({a.content for a in answers}) == 1
    assert [a.headers.get("idempotent-replayed") for a in answers].count(None) == 1
    assert events(ledger, ada) == 1


def test_a_too_long_key_is_invalid(admin: Caller, ada: str) -> None:
    url = f"/v1/contacts/{ada}/consent/opt-out"
    response = admin.post(
        url, json={"channel": "email", "scope": "acme"}, headers={"Idempotency-Key": "k" * 256}
    )
    refused(response, 422, "invalid")


def test_a_running_claim_of_an_older_version_is_taken_over_after_the_lease(
    api: Api, ledger: Ledger, clock: FixedClock
) -> None:
    """Before decision 020 was replaced, a claim committed on its own and a crash left it
    running; such rows still block retries for the lease, then are taken over."""
    me = authenticate(ledger.context, api.key("admin"))
    now = clock.now()
    with ledger.store.transaction() as tx:
        claim = IdempotencyClaim(owner_of(me), "k", "print", now)
        assert tx.claim_idempotency(claim, now - IDEMPOTENCY_LEASE, now - IDEMPOTENCY_TTL) is None
        tx.commit()
    ran: list[str] = []

    def command(ctx: Context) -> Answer:
        del ctx
        ran.append("ran")
        return Answer(201, '{"ok":true}')

    def once(print_: str) -> Answer:
        return run_once(ledger.context, me, "k", print_, command, keep_refusal)

    with pytest.raises(IdempotencyInProgress):
        once("print")
    with pytest.raises(IdempotencyConflict):
        once("another print")
    clock.set(now + timedelta(minutes=3))
    assert once("print") == Answer(201, '{"ok":true}')  # the crashed claim is taken over
    assert once("print") == Answer(201, '{"ok":true}', replayed=True)
    assert ran == ["ran"]
    clock.set(clock.now() + timedelta(hours=25))
    assert not once("another print").replayed  # expired: a new request
    assert ran == ["ran", "ran"]
    assert ledger.prune_idempotency_keys(system()) == 0
    clock.set(clock.now() + timedelta(hours=25))
    assert ledger.prune_idempotency_keys(system()) == 1


def keep_refusal(exc: ConsentryError) -> Answer:
    return Answer(409, exc.code)


def test_the_units_of_work_of_a_command_keep_their_meaning(api: Api, ledger: Ledger) -> None:
    """Inside ``run_once`` a use case's unit of work is a savepoint: left without ``commit()``
    it is rolled back, committed it waits for the command's one commit."""
    me = authenticate(ledger.context, api.key("admin"))
    seen: list[list[str]] = []

    def command(ctx: Context) -> Answer:
        with ctx.store.transaction() as tx:
            tx.add_scope(Scope("acme/dropped", "dropped"), ctx.clock.now())  # no commit
        with ctx.store.transaction() as tx:
            tx.add_scope(Scope("acme/kept", "kept"), ctx.clock.now())
            tx.commit()
        with ctx.store.transaction(write=False) as tx:
            seen.append([s.id for s in tx.list_scopes("acme") if s.id.endswith(("kept", "ped"))])
        return Answer(201, "{}")

    assert run_once(ledger.context, me, "units", "print", command, keep_refusal).status == 201
    assert seen == [["acme/kept"]]
    assert [s.id for s in ledger.list_scopes(system()) if s.id.endswith("kept")] == ["acme/kept"]
    with pytest.raises(ScopeNotFound):
        ledger.get_scope(system(), "acme/dropped")


def test_a_failure_that_keeps_nothing_is_not_saved(api: Api, ledger: Ledger) -> None:
    me = authenticate(ledger.context, api.key("admin"))
    calls: list[str] = []

    def down(ctx: Context) -> Answer:
        with ctx.store.transaction() as tx:
            tx.add_scope(Scope("acme/half", "half"), ctx.clock.now())
            tx.commit()
        calls.append("down")
        raise Unavailable("the database went away")

    with pytest.raises(Unavailable):
        run_once(ledger.context, me, "k", "print", down, lambda _: None)
    with pytest.raises(ScopeNotFound):  # rolled back with the claim …
        ledger.get_scope(system(), "acme/half")
    # … so the retry runs again
    assert not run_once(ledger.context, me, "k", "print", ok, keep_refusal).replayed
    assert calls == ["down"]


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_a_key_has_1_to_255_characters(api: Api, ledger: Ledger, key: str) -> None:
    me = authenticate(ledger.context, api.key("admin"))
    with pytest.raises(Invalid):
        run_once(ledger.context, me, key, "print", ok, keep_refusal)


def test_snapshots_of_their_own_go_to_the_store(api: Api, ledger: Ledger) -> None:
    """``audience`` and ``chain`` read the store itself; ``close`` leaves it open."""
    me = authenticate(ledger.context, api.key("admin"))
    make_contact(ledger)
    found: list[int] = []

    def command(ctx: Context) -> Answer:
        audience = Ledger(ctx).resolve_audience(system(), Segment(), "email", "acme")
        found.append(len(list(audience.all_rows())))
        with ctx.store.chain("acme") as chain:
            found.append(len(list(chain.heads())))
        ctx.store.close()  # not the app's store: nothing is closed
        return Answer(200, "{}")

    run_once(ledger.context, me, None, "print", command, keep_refusal)
    assert found == [1, 1]
    assert ledger.list_scopes(system())  # the store is still open


class Unreliable:
    """An outbox that cannot queue in a transaction, and fails to send."""

    def __init__(self) -> None:
        self.tried: list[str] = []

    def send(self, message: OutboundMessage) -> None:
        self.tried.append(message.body)
        raise RuntimeError("the mail server is on fire")


def test_a_message_no_outbox_can_queue_goes_after_the_commit_and_a_failure_is_logged(
    api: Api, ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    me = authenticate(ledger.context, api.key("admin"))
    outbox = Unreliable()
    ledger.context.outbox = outbox
    message = OutboundMessage("acme", "ct_x", Channel.EMAIL, "ada@example.com", "hi", "test")

    def command(ctx: Context) -> Answer:
        assert ctx.outbox is not None
        ctx.outbox.send(message)
        assert outbox.tried == []  # not before the commit
        return Answer(201, "{}")

    assert run_once(ledger.context, me, "mail", "print", command, keep_refusal).status == 201
    assert outbox.tried == ["hi"]
    assert "could not hand over the test message to contact ct_x" in caplog.text


def test_a_context_without_an_outbox_has_none_inside_a_command(api: Api, ledger: Ledger) -> None:
    me = authenticate(ledger.context, api.key("admin"))
    ledger.context.outbox = None
    outboxes: list[object] = []

    def command(ctx: Context) -> Answer:
        outboxes.append(ctx.outbox)
        return Answer(201, "{}")

    run_once(ledger.context, me, None, "print", command, keep_refusal)
    assert outboxes == [None]


def ok(ctx: Context) -> Answer:
    del ctx
    return Answer(201, '{"ok":true}')


def test_the_keys_of_a_caller_without_an_api_key_are_its_role_scope_and_id(
    ledger: Ledger,
) -> None:
    assert owner_of(system()) == "system:acme:operator"
    assert run_once(ledger.context, system(), "k", "print", ok, keep_refusal).status == 201
    assert run_once(ledger.context, system(), "k", "print", ok, keep_refusal).replayed
