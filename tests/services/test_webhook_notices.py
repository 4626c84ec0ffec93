"""Webhook notices (decision 076): what webhooks announce besides consent events — kept with the
change that raises it, in its transaction, delivered signed with its own payload, filtered by type
and scope like an event, and queued again by a replay. Both databases, a real HTTP receiver."""

from __future__ import annotations

from datetime import timedelta

from consentry.adapters.clock import FixedClock
from consentry.adapters.webhook_sender import HttpSender
from consentry.core.webhooks import EventType, Notice
from consentry.ledger import Ledger
from tests.factories import T0, admin, make_contact, sql
from tests.services import test_webhooks as hooks
from tests.services.test_webhooks import Receiver, deliveries, subscribe

receiver = hooks.receiver  # the real HTTP receiver and the sender, as fixtures here too
sender = hooks.sender


def notice(at=T0, *, scope: str = "acme/newsletters", kind=EventType.JOURNEY_MISSED) -> Notice:
    return Notice(
        id=f"jm_{at.timestamp():.0f}", kind=kind, group_id="acme", scope_id=scope, at=at,
        data={"contact_id": "c_1", "journey": "birthday", "channel": "email", "sent": False},
    )  # fmt: skip


def notify(ledger: Ledger, made: Notice, *, commit: bool = True) -> None:
    with ledger.store.transaction() as tx:
        tx.webhooks().notify(made)
        if commit:
            tx.commit()


def test_a_notice_is_delivered_signed_with_its_own_payload(
    ledger: Ledger, receiver: Receiver, sender: HttpSender
) -> None:
    sub = subscribe(ledger, receiver, types=["journey.missed"])
    notify(ledger, notice(), commit=False)
    assert deliveries(ledger) == 0  # rolled back with the change that raised it: nothing
    notify(ledger, notice())
    assert deliveries(ledger) == 1
    report = ledger.deliver_webhooks(sender)
    assert (report.delivered, report.attempted) == (1, 1)
    [(headers, data)] = receiver.got
    assert data == {
        "type": "journey.missed",
        "timestamp": T0.isoformat(),
        "data": {
            "contact_id": "c_1", "journey": "birthday", "channel": "email", "sent": False,
            "notice_id": notice().id, "group_id": "acme", "scope": "acme/newsletters",
        },
    }  # fmt: skip
    assert headers["webhook-id"].startswith(notice().id)
    [attempt] = ledger.get_webhook(admin(), sub).attempts
    assert (attempt.event_id, attempt.event_type, attempt.status_code) == (
        notice().id, EventType.JOURNEY_MISSED, 204,
    )  # fmt: skip


def test_notices_and_events_share_a_pass_and_filters_hold(
    ledger: Ledger, receiver: Receiver, sender: HttpSender, clock: FixedClock
) -> None:
    types = ["journey.missed", "consent.opted_out"]
    subscribe(ledger, receiver, scope="acme/newsletters", types=types)
    notify(ledger, notice(scope="acme"))  # above the subscription's scope: not for it
    notify(ledger, notice(T0 + timedelta(seconds=1), kind=EventType.JOURNEY_RESEND_REQUESTED))
    assert deliveries(ledger) == 0
    notify(ledger, notice(T0 + timedelta(seconds=2)))
    clock.set(T0 + timedelta(seconds=3))
    ada = make_contact(ledger)
    ledger.opt_out(admin(), ada.id, "email", "acme/newsletters")
    assert ledger.deliver_webhooks(sender).delivered == 2
    assert sorted(d["type"] for _, d in receiver.got) == ["consent.opted_out", "journey.missed"]


def test_a_replay_queues_notices_again(
    ledger: Ledger, receiver: Receiver, sender: HttpSender, clock: FixedClock
) -> None:
    sub = subscribe(ledger, receiver, types=["journey.missed", "consent.opted_out"])
    notify(ledger, notice())
    notify(ledger, notice(T0 + timedelta(hours=1)))
    ledger.deliver_webhooks(sender)
    clock.set(T0 + timedelta(hours=2))
    assert ledger.replay_webhook(admin(), sub, since=T0 + timedelta(minutes=30)) == 1
    ledger.deliver_webhooks(sender)
    assert len(receiver.got) == 3
    assert receiver.got[2][1]["data"]["notice_id"] == notice(T0 + timedelta(hours=1)).id
    assert len(set(receiver.ids())) == 3
    kept = sql(ledger, "SELECT event_type FROM webhook_notices ORDER BY at")
    assert [k for (k,) in kept] == ["journey.missed", "journey.missed"]
