"""Outbound webhooks (issue 10; decision 076) on both databases, against a real HTTP receiver:
queued in the change's transaction, signed per Standard Webhooks, filtered by type and scope,
retried with growing delays, disabled after a day of failures, replayed, claimed once."""

from __future__ import annotations

import io
import itertools
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from consentry.adapters.clock import FixedClock
from consentry.adapters.import_files import FileFormat, read_rows
from consentry.adapters.webhook_sender import HttpSender
from consentry.bootstrap import build
from consentry.core.channels import Channel
from consentry.core.errors import Forbidden, InvalidEventType, InvalidWebhookUrl, OutOfScope
from consentry.core.events import Action, Actor, ActorKind, Source
from consentry.core.imports import parse_mapping
from consentry.core.status import Consent
from consentry.core.webhooks import DisabledReason, EventType
from consentry.ledger import Ledger
from consentry.ledger.steps import Change, record
from consentry.settings import Settings
from tests.conftest import ADDRESS_KEY, SECRET_KEYS, empty_database
from tests.factories import T0, admin, make_contact, make_scopes, sql, staff
from tests.factories import sender as sender_key

ALL = [t.value for t in EventType]


class Receiver:
    """A real HTTP server on 127.0.0.1 that verifies each request's signature and keeps it;
    it answers ``status`` (500 on demand)."""

    def __init__(self) -> None:
        self.secret: str | None = None
        self.status = 204
        self.fail_ids: set[str] = set()  # webhook-ids always answered 500
        self.refused = 0
        self.got: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.answered: list[int] = []  # the status each of ``got`` was answered with
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                assert receiver.secret is not None
                try:
                    data = Webhook(receiver.secret).verify(body, headers)
                except WebhookVerificationError:
                    receiver.refused += 1
                    self.send_response(400)
                else:
                    failing = headers["webhook-id"] in receiver.fail_ids
                    answer = 500 if failing else receiver.status
                    with receiver.lock:
                        receiver.got.append((headers, data))
                        receiver.answered.append(answer)
                    self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def ids(self) -> list[str]:
        return [h["webhook-id"] for h, _ in self.got]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def sender() -> Iterator[HttpSender]:
    made = HttpSender(timeout=5, allow_private=True)  # the receiver is 127.0.0.1
    yield made
    made.close()


def subscribe(ledger: Ledger, receiver: Receiver, scope: str = "acme", types=ALL) -> str:
    sub, secret = ledger.create_webhook(admin(), scope, receiver.url, event_types=types)
    receiver.secret = secret
    return sub.id


def deliveries(ledger: Ledger) -> int:
    return int(sql(ledger, "SELECT count(*) FROM webhook_deliveries")[0][0])


def test_a_change_queues_in_its_own_transaction_and_a_rolled_back_one_nothing(ledger, receiver):
    ada = make_contact(ledger)
    subscribe(ledger, receiver)
    with ledger.store.transaction() as tx:
        contact = tx.get_contact("acme", ada.id)
        assert contact is not None
        change = Change(
            contact=contact, channel=Channel.EMAIL, scope_id="acme", action=Action.OPTED_OUT,
            actor=Actor(ActorKind.SYSTEM, "t"), recorded_by="t", source=Source.API,
        )  # fmt: skip
        record(ledger.context, tx, tx.lock_chain(ada.id), change, Consent())
        inside = tx.conn.exec_driver_sql("SELECT count(*) FROM webhook_deliveries").scalar()
        assert inside == 1  # written with the event, in its transaction
    assert deliveries(ledger) == 0  # never committed: nothing queued
    ledger.opt_out(admin(), ada.id, "email", "acme")
    assert deliveries(ledger) == 1


def test_no_subscription_queues_nothing(ledger):
    ada = make_contact(ledger)
    ledger.opt_out(admin(), ada.id, "email", "acme")
    assert deliveries(ledger) == 0


def test_the_worker_delivers_a_signed_payload_without_personal_data(ledger, receiver, sender):
    ada = make_contact(ledger)
    sub = subscribe(ledger, receiver)
    event = ledger.opt_out(admin(), ada.id, "sms", "acme/newsletters")
    report = ledger.deliver_webhooks(sender)
    assert (report.delivered, report.attempted) == (1, 1)
    [(headers, data)] = receiver.got
    assert data["type"] == "consent.opted_out"
    assert data["data"]["event_id"] == event.id
    assert data["data"]["contact_id"] == ada.id
    assert data["data"] | {"occurred_at": None, "recorded_at": None} == {
        "event_id": event.id, "contact_id": ada.id, "group_id": "acme", "channel": "sms",
        "scope": "acme/newsletters", "action": "opted_out", "strength": "soft", "source": "api",
        "occurred_at": None, "recorded_at": None, "reason": None,
    }  # fmt: skip
    raw = json.dumps(data)
    assert "example.com" not in raw and "+44" not in raw and "7700" not in raw
    assert headers["webhook-signature"].startswith("v1,")
    assert ledger.deliver_webhooks(sender).attempted == 0  # delivered once
    detail = ledger.get_webhook(admin(), sub)
    assert [(a.status_code, a.number) for a in detail.attempts] == [(204, 1)]
    assert "whsec_" not in str(sql(ledger, "SELECT * FROM webhook_subscriptions"))


def test_a_forged_signature_fails_verification(ledger, receiver, sender):
    ada = make_contact(ledger)
    subscribe(ledger, receiver)
    ledger.opt_out(admin(), ada.id, "email", "acme")
    real = receiver.secret
    receiver.secret = "whsec_" + "A" * 43 + "="  # a receiver with another secret refuses it
    assert ledger.deliver_webhooks(sender).retrying == 1
    assert (receiver.got, receiver.refused) == ([], 1)
    assert real is not None and Webhook(real)  # the real secret is a valid one


def test_type_and_scope_filters(ledger, receiver, sender):
    ada = make_contact(ledger)
    subscribe(ledger, receiver, "acme/newsletters", ["consent.opted_out", "suppression.added"])
    ledger.opt_out(admin(), ada.id, "email", "acme/events")  # a sibling client: not its scope
    ledger.opt_out(admin(), ada.id, "sms", "acme")  # above it: not its scope
    ledger.opt_out(admin(), ada.id, "email", "acme/newsletters/ada")  # below it: yes
    ledger.record_bounce(admin(), ada.id, "email")  # at the group: not its scope
    ledger.deliver_webhooks(sender)
    assert [(d["type"], d["data"]["scope"]) for _, d in receiver.got] == [
        ("consent.opted_out", "acme/newsletters/ada")
    ]


def test_a_group_subscription_sees_every_scope_and_suppressions(ledger, receiver, sender):
    ada = make_contact(ledger)
    subscribe(ledger, receiver, "acme", ["consent.opted_out", "suppression.added"])
    ledger.opt_out(admin(), ada.id, "email", "acme/events")
    ledger.record_bounce(admin(), ada.id, "email")
    ledger.deliver_webhooks(sender)
    assert sorted(d["type"] for _, d in receiver.got) == ["consent.opted_out", "suppression.added"]


def test_a_failing_receiver_is_retried_later_each_time_then_disabled(
    ledger, receiver, sender, clock: FixedClock
):
    ada = make_contact(ledger)
    sub = subscribe(ledger, receiver)
    ledger.opt_out(admin(), ada.id, "email", "acme")
    receiver.status = 500
    delays: list[timedelta] = []
    for _ in range(20):
        report = ledger.deliver_webhooks(sender, jitter=lambda: 0.0)
        if report.disabled:
            break
        [(next_at,)] = sql(ledger, "SELECT next_at FROM webhook_deliveries")
        due = T0 + timedelta(microseconds=next_at - int(T0.timestamp() * 1_000_000))
        delays.append(due - clock.now())
        clock.set(due)
    assert report.disabled == (sub,)
    assert delays[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert all(b >= a for a, b in itertools.pairwise(delays))
    assert max(delays) == timedelta(hours=6)
    detail = ledger.get_webhook(admin(), sub)
    assert not detail.subscription.enabled
    assert detail.subscription.disabled_reason is DisabledReason.REPEATED_FAILURE
    assert {a.status_code for a in detail.attempts} == {500}
    clock.set(clock.now() + timedelta(days=1))
    assert ledger.deliver_webhooks(sender).attempted == 0  # disabled: nothing goes out
    receiver.status = 204
    ledger.update_webhook(admin(), sub, enabled=True)  # enabled again: the waiting one goes
    assert ledger.deliver_webhooks(sender).delivered == 1


def test_a_receiver_failing_three_times_then_succeeding_gets_each_event_exactly_once(
    ledger, receiver, sender, clock: FixedClock
):
    ada = make_contact(ledger)
    subscribe(ledger, receiver)
    events = [ledger.opt_out(admin(), ada.id, channel, "acme") for channel in ("email", "sms")]
    receiver.status = 500
    for _ in range(3):
        assert ledger.deliver_webhooks(sender, jitter=lambda: 0.0).retrying == 2
        clock.set(clock.now() + timedelta(hours=1))  # past the next attempt's time
    receiver.status = 204
    assert ledger.deliver_webhooks(sender).delivered == 2
    clock.set(clock.now() + timedelta(days=2))
    assert ledger.deliver_webhooks(sender).attempted == 0  # delivered: never again
    assert receiver.refused == 0  # every attempt's signature verified (standardwebhooks)
    accepted = [d for (_, d), code in zip(receiver.got, receiver.answered, strict=True)
                if code == 204]  # fmt: skip
    assert sorted(d["data"]["event_id"] for d in accepted) == sorted(e.id for e in events)
    assert receiver.answered == [500] * 6 + [204] * 2
    for webhook_id in set(receiver.ids()):  # each retry is the same message (dedupe by id)
        assert receiver.ids().count(webhook_id) == 4


def test_jitter_spreads_the_delay_by_a_fifth(ledger, receiver, sender, clock: FixedClock):
    ada = make_contact(ledger)
    subscribe(ledger, receiver)
    ledger.opt_out(admin(), ada.id, "email", "acme")
    receiver.status = 500
    ledger.deliver_webhooks(sender, jitter=lambda: 1.0)
    [(next_at,)] = sql(ledger, "SELECT next_at FROM webhook_deliveries")
    assert next_at - int(clock.now().timestamp() * 1_000_000) == 36_000_000  # 30 s + 20 %


def test_replay_since_a_moment_delivers_again(ledger, receiver, sender, clock: FixedClock):
    ada = make_contact(ledger)
    sub = subscribe(ledger, receiver)
    ledger.opt_out(admin(), ada.id, "email", "acme")
    clock.set(T0 + timedelta(hours=1))
    ledger.opt_out(admin(), ada.id, "sms", "acme")
    ledger.deliver_webhooks(sender)
    assert len(receiver.got) == 2
    clock.set(T0 + timedelta(hours=2))
    assert ledger.replay_webhook(admin(), sub, since=T0 + timedelta(minutes=30)) == 1
    ledger.deliver_webhooks(sender)
    assert len(receiver.got) == 3
    assert receiver.got[2][1]["data"]["channel"] == "sms"
    assert len(set(receiver.ids())) == 3  # a replay is a new message


def test_an_import_queues_only_for_a_subscribed_group(ledger, receiver):
    mapping = parse_mapping({"Email": "email", "Mail": "consent:email"})
    rows = "Email,Mail\nann@example.com,no\nbea@example.com,no\n"

    def run(text: str) -> None:
        ledger.import_contacts(
            admin(), read_rows(io.StringIO(text), FileFormat.CSV, mapping), mapping=mapping
        )

    run(rows)
    assert deliveries(ledger) == 0  # nobody subscribed: nothing queued
    subscribe(ledger, receiver, "acme", ["consent.opted_out"])
    run("Email,Mail\ncat@example.com,no\ndot@example.com,no\n")
    assert deliveries(ledger) == 2


def test_only_admins_within_their_scope_manage_webhooks(ledger, receiver):
    with pytest.raises(Forbidden):
        ledger.create_webhook(staff(), "acme", receiver.url, event_types=ALL)
    with pytest.raises(OutOfScope):
        ledger.create_webhook(admin("acme/newsletters"), "acme", receiver.url, event_types=ALL)
    with pytest.raises(InvalidWebhookUrl):
        ledger.create_webhook(admin(), "acme", "http://example.com/hook", event_types=ALL)
    with pytest.raises(InvalidEventType):
        ledger.create_webhook(admin(), "acme", receiver.url, event_types=["consent.nope"])
    sub = subscribe(ledger, receiver, "acme/events")
    assert [s.id for s in ledger.list_webhooks(admin("acme/newsletters"))] == []
    with pytest.raises(OutOfScope):
        ledger.delete_webhook(admin("acme/newsletters"), sub)
    ledger.delete_webhook(admin(), sub)
    assert ledger.list_webhooks(admin()) == []


# ── two workers on one PostgreSQL ──


@pytest.fixture
def pg_ledger(pg_database: str, clock: FixedClock) -> Iterator[Ledger]:
    empty_database(pg_database)
    settings = Settings(
        database_url=pg_database, address_key=ADDRESS_KEY, secret_keys=SECRET_KEYS,
        webhook_allow_private=True,
    )  # fmt: skip
    built = build(settings, clock, migrate=False)
    make_scopes(built)
    yield built
    built.close()


@pytest.mark.postgres
def test_two_workers_on_postgresql_deliver_each_attempt_once(pg_ledger, receiver):
    subscribe(pg_ledger, receiver, "acme", ["consent.opted_out"])
    for n in range(60):
        person = make_contact(pg_ledger, email=f"p{n}@example.com", mobile=f"+4477009{n:05d}")
        pg_ledger.opt_out(admin(), person.id, "email", "acme")

    def worker() -> None:
        own = HttpSender(timeout=5, allow_private=True)  # the receiver is 127.0.0.1
        try:
            while pg_ledger.deliver_webhooks(own, limit=7).attempted:
                pass
        finally:
            own.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = receiver.ids()
    assert len(ids) == 60 and len(set(ids)) == 60
    assert sql(pg_ledger, "SELECT count(*) FROM webhook_attempts")[0][0] == 60


def test_a_delivery_is_given_up_after_its_last_attempt_while_others_succeed(
    ledger, receiver, sender, clock: FixedClock
):
    """Successes of the subscription's other deliveries keep it enabled; the one that always
    fails is given up (``failed``) after its last attempt."""
    ada = make_contact(ledger)
    subscribe(ledger, receiver)
    ledger.opt_out(admin(), ada.id, "email", "acme")
    receiver.status = 500
    ledger.deliver_webhooks(sender, jitter=lambda: 0.0)
    [failing] = receiver.ids()
    receiver.fail_ids = {failing}
    receiver.status = 204
    report = None
    for n in range(20):
        [(next_at,)] = sql(
            ledger, "SELECT next_at FROM webhook_deliveries WHERE id = :i", i=failing
        )
        clock.set(T0 + timedelta(microseconds=next_at - int(T0.timestamp() * 1_000_000)))
        other = make_contact(ledger, f"p{n}@example.com", f"+4477009{n:05d}")
        ledger.record_bounce(sender_key(), other.id, "email")  # a delivery that succeeds
        report = ledger.deliver_webhooks(sender, jitter=lambda: 0.0)
        if report.given_up:
            break
    assert report is not None and report.given_up == 1 and not report.disabled
    [(status, attempts)] = sql(
        ledger, "SELECT status, attempts FROM webhook_deliveries WHERE id = :i", i=failing
    )
    assert (status, attempts) == ("failed", 16)


def test_an_attempt_whose_lease_was_taken_over_is_not_recorded(
    ledger, receiver, sender, clock: FixedClock
):
    ada = make_contact(ledger)
    subscribe(ledger, receiver)
    ledger.opt_out(admin(), ada.id, "email", "acme")

    class Slow:
        """Posts for real, but only after the lease ran out and another worker took it."""

        def __init__(self) -> None:
            self.late: Any = None

        def send(self, url: str, secret: str, *, message_id: str, body: str) -> Any:
            if self.late is None:
                clock.set(clock.now() + timedelta(minutes=6))  # past the five-minute lease
                self.late = ledger.deliver_webhooks(sender)  # the other worker
            return sender.send(url, secret, message_id=message_id, body=body)

    first = ledger.deliver_webhooks(Slow())
    assert first.delivered == 0 and first.attempted == 0  # its attempt came too late
    [(attempts,)] = sql(ledger, "SELECT count(*) FROM webhook_attempts")
    assert attempts == 1 and len(receiver.got) == 2  # posted twice, recorded once


def test_an_update_without_enabled_keeps_the_state_and_no_secrets_means_no_webhooks(
    ledger, receiver, sender
):
    sub = subscribe(ledger, receiver)
    moved = ledger.update_webhook(admin(), sub, url="https://crm.example.com/hooks")
    assert moved.enabled and moved.url == "https://crm.example.com/hooks"
    assert ledger.update_webhook(admin(), sub, enabled=True).enabled
    from dataclasses import replace as with_

    from consentry.ledger.webhooks import create_webhook, deliver_webhooks

    bare = with_(ledger.context, webhook_secrets=None)
    for call in (
        lambda: deliver_webhooks(bare, sender),
        lambda: create_webhook(bare, admin(), "acme", receiver.url, event_types=ALL),
    ):
        with pytest.raises(Exception) as info:
            call()
        assert getattr(info.value, "code", None) == "invalid"
