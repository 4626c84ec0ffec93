"""The statements behind outbound webhooks: subscriptions, the delivery outbox, attempts (076).

Driver SQL throughout (every statement runs on both databases in ``tests/store/
test_statements.py``). ``ENQUEUE`` is part of the consent write: ``ledger_sql.append`` adds it
to the append's writes, so on PostgreSQL it is one more part of the one statement and on
SQLite one more indexed statement that finds no subscription and writes nothing, the usual case.
An import's batch reads its group's subscriptions once and inserts its deliveries in bulk.
A notice (a missed journey message, a violation: ``core.webhooks.Notice``) is kept in
``webhook_notices`` with its payload and queued by the same ``ENQUEUE``, in the transaction of the
change that raises it; a replay queues a group's notices as it does its events.

The worker claims due deliveries in a short write transaction: ``DUE`` locks them (``FOR UPDATE
SKIP LOCKED`` where rows lock, PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already excludes every
other writer) and ``LEASE`` moves them ``LEASE`` into the future under a claim token. The POST
happens outside any transaction; ``FINISH`` then records its outcome only while the claim is
still the worker's, so two workers never record (or send) one attempt twice, and a worker that
died mid-delivery leaves the delivery due again once its lease is over.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from consentry.adapters.store import schema as t
from consentry.adapters.store.dialect import ROW_LOCK, Write
from consentry.adapters.store.driver import Db, on_path, path_params
from consentry.adapters.store.failures import translated
from consentry.adapters.store.rows import event_from_row
from consentry.core.events import Action, ConsentEvent, from_micros, to_micros
from consentry.core.scopes import path_to_root
from consentry.core.webhooks import (
    Attempt,
    DeliveryStatus,
    DisabledReason,
    EventType,
    Notice,
    Outgoing,
    Subscription,
    event_type,
    notice_payload,
    payload,
)

EVENT_COLUMNS = tuple(c.name for c in t.events.columns)  #: as ``rows.event_from_row`` reads
SUBSCRIPTION_COLUMNS = (
    "id", "group_id", "scope_id", "url", "event_types", "enabled", "disabled_reason",
    "disabled_at", "failures", "failing_since", "created_by", "created_at", "updated_at",
)  # fmt: skip
_COLS = ", ".join(SUBSCRIPTION_COLUMNS)
INSERT_SUBSCRIPTION = (
    f"INSERT INTO webhook_subscriptions ({_COLS}) "
    f"VALUES ({', '.join(':' + c for c in SUBSCRIPTION_COLUMNS)})"
)
GET_SUBSCRIPTION = f"SELECT {_COLS} FROM webhook_subscriptions WHERE id = :id"
LIST_SUBSCRIPTIONS = f"SELECT {_COLS} FROM webhook_subscriptions WHERE group_id = :gid ORDER BY id"
UPDATE_SUBSCRIPTION = (
    "UPDATE webhook_subscriptions SET url = :url, event_types = :event_types, "
    "enabled = :enabled, disabled_reason = :disabled_reason, disabled_at = :disabled_at, "
    "failures = :failures, failing_since = :failing_since, updated_at = :updated_at "
    "WHERE id = :id"
)
DELETE_SUBSCRIPTION = "DELETE FROM webhook_subscriptions WHERE id = :id"
DELETE_DELIVERIES = "DELETE FROM webhook_deliveries WHERE subscription_id = :subscription_id"
DELETE_ATTEMPTS = "DELETE FROM webhook_attempts WHERE subscription_id = :subscription_id"
#: the group's enabled subscriptions (an import's batch reads them once)
ENABLED_OF_GROUP = (
    "SELECT id, scope_id, event_types FROM webhook_subscriptions "
    "WHERE group_id = :gid AND enabled = TRUE"
)
#: one delivery per enabled subscription on the event's scope path that names its type
ENQUEUE = (
    "INSERT INTO webhook_deliveries (id, subscription_id, group_id, event_id, event_type, "
    "status, attempts, next_at, created_at) SELECT :event_id || '.' || s.id, s.id, s.group_id, "
    ":event_id, :event_type, 'pending', 0, :next_at, :created_at FROM webhook_subscriptions s "
    "WHERE s.group_id = :group_id AND s.enabled = TRUE AND s.scope_id IN ({scopes}) "
    "AND s.event_types LIKE :pattern ESCAPE '!'"
)
INSERT_DELIVERY = (
    "INSERT INTO webhook_deliveries (id, subscription_id, group_id, event_id, event_type, "
    "status, attempts, next_at, created_at) VALUES (:id, :subscription_id, :group_id, "
    ":event_id, :event_type, 'pending', 0, :next_at, :created_at)"
)
DUE = (  # FOR UPDATE: cut on SQLite; SKIP LOCKED added where it is kept (``_due_sql``)
    "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_at <= :due_at "
    "AND subscription_id IN (SELECT id FROM webhook_subscriptions WHERE enabled = TRUE) "
    "ORDER BY next_at LIMIT :batch FOR UPDATE"
)
LEASE = "UPDATE webhook_deliveries SET next_at = :next_at, claim = :claim WHERE id = :id"
CLAIMED = (  # the claimed deliveries of consent events
    "SELECT d.id, d.subscription_id, d.attempts, s.url, "
    + ", ".join(f"e.{c}" for c in EVENT_COLUMNS)
    + " FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id "
    "JOIN events e ON e.id = d.event_id WHERE d.claim = :claim ORDER BY d.id"
)
CLAIMED_NOTICES = (  # … and of notices, whose payload is kept ready
    "SELECT d.id, d.subscription_id, d.attempts, s.url, n.id, n.event_type, n.body "
    "FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id "
    "JOIN webhook_notices n ON n.id = d.event_id WHERE d.claim = :claim ORDER BY d.id"
)
INSERT_NOTICE = (
    "INSERT INTO webhook_notices (id, group_id, scope_id, event_type, at, body) "
    "VALUES (:id, :group_id, :scope_id, :event_type, :at, :body)"
)
NOTICES_SINCE = (  # a replay's page of the group's notices, in (at, id) order
    "SELECT id, scope_id, event_type, at FROM webhook_notices WHERE group_id = :gid "
    "AND (at > :recorded_at OR (at = :recorded_at AND id > :id)) ORDER BY at, id LIMIT :batch"
)
FINISH = (
    "UPDATE webhook_deliveries SET status = :status, attempts = :attempts, next_at = :next_at, "
    "claim = NULL, finished_at = :finished_at WHERE id = :id AND claim = :claim"
)
INSERT_ATTEMPT = (
    "INSERT INTO webhook_attempts (delivery_id, number, subscription_id, at, status_code, "
    "error, duration_ms) VALUES (:delivery_id, :attempt_no, :subscription_id, :at, :status_code, "
    ":error, :duration_ms)"
)
FAILED = (
    "UPDATE webhook_subscriptions SET failures = failures + 1, "
    "failing_since = COALESCE(failing_since, :failing_since) WHERE id = :id"
)
SUCCEEDED = (  # only when it was failing: a success writes no row shared with other workers
    "UPDATE webhook_subscriptions SET failures = 0, failing_since = NULL WHERE id = :id "
    "AND (failures <> 0 OR failing_since IS NOT NULL)"
)
RECENT_ATTEMPTS = (
    "SELECT a.delivery_id, d.event_id, d.event_type, a.number, a.at, a.status_code, a.error, "
    "a.duration_ms FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id "
    "WHERE a.subscription_id = :subscription_id ORDER BY a.at DESC, a.number DESC LIMIT :batch"
)
EVENTS_SINCE = (  # a replay's page of the group's events, in (recorded_at, id) order
    "SELECT id, scope_id, action, recorded_at FROM events WHERE group_id = :gid "
    "AND (recorded_at > :recorded_at OR (recorded_at = :recorded_at AND id > :id)) "
    "ORDER BY recorded_at, id LIMIT :batch"
)
REPLAY_PAGE = 5000


def pattern(kind: EventType) -> str:
    """The LIKE pattern that finds ``kind`` in a stored ``,a,b,`` list (``!`` escapes)."""
    escaped = kind.value.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%,{escaped},%"


def enqueue_write(event: ConsentEvent) -> Write:
    """The append's write that queues the event for every subscription it matches."""
    kind = event_type(event.action)
    return _enqueue(event.id, kind, event.group_id, event.scope_id, event.recorded_at)


def _enqueue(subject_id: str, kind: EventType, group_id: str, scope_id: str, at: datetime) -> Write:
    path = path_to_root(scope_id)
    micros = to_micros(at)
    params: dict[str, Any] = {
        "event_id": subject_id,
        "event_type": kind.value,
        "next_at": micros,
        "created_at": micros,
        "group_id": group_id,
        "pattern": pattern(kind),
        **path_params(path),
    }
    return on_path(ENQUEUE, len(path)), params


def enqueue_batch(db: Db, events: Sequence[ConsentEvent]) -> None:
    """Queue an import batch's events: one read of each group's subscriptions, then the
    deliveries in bulk (none at all without a subscription)."""
    for group_id in sorted({e.group_id for e in events}):
        rows = db.all(ENABLED_OF_GROUP, {"gid": group_id})
        if not rows:
            continue
        subs = [(sid, scope, _types(text)) for sid, scope, text in rows]
        params = [
            _delivery(event, sid, f"{event.id}.{sid}", event.recorded_at)
            for event in events
            if event.group_id == group_id
            for sid, scope, types in subs
            if _takes(scope, types, event)
        ]
        db.run_many(INSERT_DELIVERY, params)


def _takes(scope_id: str, types: frozenset[EventType], event: ConsentEvent) -> bool:
    return event_type(event.action) in types and scope_id in path_to_root(event.scope_id)


def _delivery(event: ConsentEvent, sub_id: str, delivery_id: str, now: datetime) -> dict[str, Any]:
    at = to_micros(now)
    return {
        "id": delivery_id, "subscription_id": sub_id, "group_id": event.group_id,
        "event_id": event.id, "event_type": event_type(event.action).value,
        "next_at": at, "created_at": at,
    }  # fmt: skip


def _types(text: str) -> frozenset[EventType]:
    known = {t.value: t for t in EventType}
    return frozenset(known[v] for v in text.split(",") if v in known)


def _stored_types(types: frozenset[EventType]) -> str:
    return "," + ",".join(sorted(t.value for t in types)) + ","


def _subscription(row: Sequence[Any]) -> Subscription:
    m = dict(zip(SUBSCRIPTION_COLUMNS, row, strict=True))
    reason = m["disabled_reason"]
    return Subscription(
        id=m["id"], group_id=m["group_id"], scope_id=m["scope_id"], url=m["url"],
        event_types=_types(m["event_types"]), enabled=bool(m["enabled"]),
        disabled_reason=DisabledReason(reason) if reason else None,
        disabled_at=from_micros(m["disabled_at"]), failures=m["failures"],
        failing_since=from_micros(m["failing_since"]), created_by=m["created_by"],
        created_at=_at(m["created_at"]), updated_at=_at(m["updated_at"]),
    )  # fmt: skip


def _at(micros: int) -> datetime:
    moment = from_micros(micros)
    assert moment is not None
    return moment


def _subscription_values(sub: Subscription) -> dict[str, Any]:
    return {
        "id": sub.id, "group_id": sub.group_id, "scope_id": sub.scope_id, "url": sub.url,
        "event_types": _stored_types(sub.event_types), "enabled": sub.enabled,
        "disabled_reason": sub.disabled_reason.value if sub.disabled_reason else None,
        "disabled_at": to_micros(sub.disabled_at), "failures": sub.failures,
        "failing_since": to_micros(sub.failing_since), "created_by": sub.created_by,
        "created_at": to_micros(sub.created_at), "updated_at": to_micros(sub.updated_at),
    }  # fmt: skip


class _Mapped:
    """A driver row with the ``_mapping`` that ``rows.event_from_row`` reads."""

    def __init__(self, values: Sequence[Any]) -> None:
        self._mapping = dict(zip(EVENT_COLUMNS, values, strict=True))


def _due_sql(db: Db) -> str:
    """``DUE`` with ``SKIP LOCKED`` where the database keeps the row lock (PostgreSQL): a
    second worker takes other deliveries instead of waiting for the first's."""
    kept = db.dialect.driver_sql(DUE).endswith(ROW_LOCK)
    return DUE + " SKIP LOCKED" if kept else DUE


class SqlWebhooks:
    """The webhook statements on one transaction (the adapter behind ``ports.WebhookTx``)."""

    def __init__(self, db: Db) -> None:
        self.db = db

    @translated
    def add_subscription(self, sub: Subscription) -> None:
        self.db.run(INSERT_SUBSCRIPTION, _subscription_values(sub), write=True)

    @translated
    def get_subscription(self, subscription_id: str) -> Subscription | None:
        row = self.db.one(GET_SUBSCRIPTION, {"id": subscription_id})
        return None if row is None else _subscription(row)

    @translated
    def list_subscriptions(self, group_id: str) -> list[Subscription]:
        return [_subscription(r) for r in self.db.all(LIST_SUBSCRIPTIONS, {"gid": group_id})]

    @translated
    def update_subscription(self, sub: Subscription) -> None:
        values = _subscription_values(sub)
        for name in ("group_id", "scope_id", "created_by", "created_at"):
            del values[name]
        self.db.run(UPDATE_SUBSCRIPTION, values, write=True)

    @translated
    def delete_subscription(self, subscription_id: str) -> None:
        self.db.run(DELETE_ATTEMPTS, {"subscription_id": subscription_id}, write=True)
        self.db.run(DELETE_DELIVERIES, {"subscription_id": subscription_id}, write=True)
        self.db.run(DELETE_SUBSCRIPTION, {"id": subscription_id}, write=True)

    @translated
    def claim_due(
        self, now: datetime, *, lease_until: datetime, claim: str, limit: int
    ) -> list[Outgoing]:
        """Lease up to ``limit`` due deliveries of enabled subscriptions under ``claim``."""
        ids = [
            r[0] for r in self.db.all(_due_sql(self.db), {"due_at": to_micros(now), "batch": limit})
        ]
        lease = to_micros(lease_until)
        self.db.run_many(LEASE, [{"next_at": lease, "claim": claim, "id": i} for i in ids])
        if not ids:
            return []
        events = [
            (r[0], r[1], r[3], r[2], event_from_row(cast(Any, _Mapped(r[4:]))))
            for r in self.db.all(CLAIMED, {"claim": claim})
        ]
        found = [
            Outgoing(d, sub, url, n, event.id, event_type(event.action), payload(event))
            for d, sub, url, n, event in events
        ] + [
            Outgoing(d, sub, url, n, notice_id, EventType(kind), body)
            for d, sub, n, url, notice_id, kind, body in self.db.all(
                CLAIMED_NOTICES, {"claim": claim}
            )
        ]
        return sorted(found, key=lambda o: o.delivery_id)

    @translated
    def notify(self, notice: Notice) -> None:
        """Keep the notice and queue it for every subscription it matches."""
        self.db.run(INSERT_NOTICE, {
            "id": notice.id, "group_id": notice.group_id, "scope_id": notice.scope_id,
            "event_type": notice.kind.value, "at": to_micros(notice.at),
            "body": notice_payload(notice),
        }, write=True)  # fmt: skip
        sql, params = _enqueue(notice.id, notice.kind, notice.group_id, notice.scope_id, notice.at)
        self.db.run(sql, params, write=True)

    @translated
    def finish(
        self,
        delivery: Outgoing,
        attempt: Attempt,
        *,
        claim: str,
        status: DeliveryStatus,
        next_at: datetime | None,
    ) -> bool:
        """Record an attempt while the claim is still ours; False (nothing kept) when not."""
        params = {
            "status": status.value, "attempts": attempt.number, "claim": claim,
            "next_at": to_micros(next_at or attempt.at), "id": delivery.delivery_id,
            "finished_at": None if status is DeliveryStatus.PENDING else to_micros(attempt.at),
        }  # fmt: skip
        if self.db.run(FINISH, params, write=True).rowcount != 1:
            return False
        self.db.run(INSERT_ATTEMPT, {
            "delivery_id": delivery.delivery_id, "attempt_no": attempt.number,
            "subscription_id": delivery.subscription_id, "at": to_micros(attempt.at),
            "status_code": attempt.status_code, "error": attempt.error,
            "duration_ms": attempt.duration_ms,
        }, write=True)  # fmt: skip
        if attempt.ok:
            self.db.run(SUCCEEDED, {"id": delivery.subscription_id}, write=True)
        else:
            failed = {"id": delivery.subscription_id, "failing_since": to_micros(attempt.at)}
            self.db.run(FAILED, failed, write=True)
        return True

    @translated
    def recent_attempts(self, subscription_id: str, limit: int) -> list[Attempt]:
        rows = self.db.all(RECENT_ATTEMPTS, {"subscription_id": subscription_id, "batch": limit})
        return [
            Attempt(d, e, EventType(t), n, _at(at), code, error, ms)
            for d, e, t, n, at, code, error, ms in rows
        ]

    @translated
    def replay(
        self, sub: Subscription, since: datetime, now: datetime, new_id: Callable[[datetime], str]
    ) -> int:
        """Queue again, for ``sub``, each of its group's events it matches recorded since
        ``since``; how many. ``new_id(now)`` names each new delivery."""
        events = self._replay(EVENTS_SINCE, sub, since, now, new_id, Action)
        return events + self._replay(NOTICES_SINCE, sub, since, now, new_id, None)

    def _replay(
        self,
        sql: str,
        sub: Subscription,
        since: datetime,
        now: datetime,
        new_id: Callable[[datetime], str],
        action: Callable[[str], Action] | None,
    ) -> int:
        """Queue again, page by page, what ``sql`` finds since ``since`` and ``sub`` takes;
        ``action`` reads a consent event's stored action (None: the rows hold the type)."""
        after, last_id, queued = to_micros(since), "", 0  # "" sorts before every id
        taking = replace(sub, enabled=True)  # a disabled one's wait until it is enabled
        while True:
            page = self.db.all(sql, {
                "gid": sub.group_id, "recorded_at": after, "id": last_id, "batch": REPLAY_PAGE,
            })  # fmt: skip
            params = [
                {**_replayed(sub, subject_id, kind, now), "id": new_id(now)}
                for subject_id, scope_id, stored, _ in page
                if taking.matches(
                    kind := event_type(action(stored)) if action else EventType(stored), scope_id
                )
            ]
            self.db.run_many(INSERT_DELIVERY, params)
            queued += len(params)
            if len(page) < REPLAY_PAGE:
                return queued
            _, _, _, after = page[-1]
            last_id = page[-1][0]


def _replayed(sub: Subscription, event_id: str, kind: EventType, now: datetime) -> dict[str, Any]:
    at = to_micros(now)
    return {
        "subscription_id": sub.id, "group_id": sub.group_id, "event_id": event_id,
        "event_type": kind.value, "next_at": at, "created_at": at,
    }  # fmt: skip
