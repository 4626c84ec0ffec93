"""The statements behind send reports, violations and the compliance report (decision 079).

The two writes are driver SQL (every statement runs on both databases in
``tests/store/test_statements.py``): a send is inserted ``ON CONFLICT DO NOTHING`` on its
(group, message id), so of two reports racing the first to commit stands and the other reads
it back. The reads are SQLAlchemy Core, each one statement (a chunk of ``ID_CHUNK`` ids at a
time for a batch's contacts and message ids):

    events_until        the batch's contacts' events on its channels recorded by its last send
    violations          a page, newest sent first, each with its deciding event (a LEFT JOIN on
                        the event's id and contact: ``ix_events_id``)
    send_counts         sends and violations per (scope, channel) in a window (``group_id,
                        sent_at``)
    opt_out_counts      opt-out events per (scope, channel) recorded in a window
    violated_opt_outs   those opt-outs joined to the violations naming them: the last such send
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from consentry.adapters.store import schema as t
from consentry.adapters.store.driver import Db
from consentry.adapters.store.failures import translated
from consentry.adapters.store.reads import ID_CHUNK
from consentry.adapters.store.rows import event_from_row
from consentry.core.channels import Channel
from consentry.core.compliance import SendCount, ViolatedOptOut
from consentry.core.eligibility import Category, Reason
from consentry.core.events import Action, ConsentEvent, Strength, from_micros, to_micros
from consentry.core.scopes import path_to_root
from consentry.core.sends import DecidingEvent, Send, Violation, ViolationFilter

SEND_COLUMNS = (
    "group_id", "message_id", "id", "contact_id", "channel", "scope_id", "category", "sent_at",
    "reported_at", "reported_by", "reason", "event_id", "violation_id",
)  # fmt: skip
INSERT_SEND = (
    f"INSERT INTO send_reports ({', '.join(SEND_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in SEND_COLUMNS)}) "
    "ON CONFLICT (group_id, message_id) DO NOTHING"
)
VIOLATION_COLUMNS = (
    "contact_id", "id", "group_id", "message_id", "channel", "scope_id", "category", "sent_at",
    "reason", "event_id", "recorded_at",
)  # fmt: skip
INSERT_VIOLATION = (
    f"INSERT INTO violations ({', '.join(VIOLATION_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in VIOLATION_COLUMNS)})"
)

_S, _V, _E = t.send_reports.c, t.violations.c, t.events.c


def _at(micros: int) -> datetime:
    moment = from_micros(micros)
    assert moment is not None
    return moment


def _chunks(values: Sequence[str]) -> list[list[str]]:
    ordered = sorted(set(values))
    return [ordered[n : n + ID_CHUNK] for n in range(0, len(ordered), ID_CHUNK)]


def _within(column: Any, scope_id: str) -> ColumnElement[bool]:
    """At ``scope_id`` or below it (the LIKE wildcards of the id escaped)."""
    return or_(column == scope_id, column.startswith(scope_id + "/", autoescape=True))


def _send(row: Any) -> Send:
    m = row._mapping
    return Send(
        id=m["id"], group_id=m["group_id"], message_id=m["message_id"],
        contact_id=m["contact_id"], channel=Channel(m["channel"]), scope_id=m["scope_id"],
        category=Category(m["category"]), sent_at=_at(m["sent_at"]),
        reported_at=_at(m["reported_at"]), reported_by=m["reported_by"],
        reason=Reason(m["reason"]), event_id=m["event_id"], violation_id=m["violation_id"],
    )  # fmt: skip


def _send_values(send: Send) -> dict[str, Any]:
    return {
        "group_id": send.group_id, "message_id": send.message_id, "id": send.id,
        "contact_id": send.contact_id, "channel": send.channel.value, "scope_id": send.scope_id,
        "category": send.category.value, "sent_at": to_micros(send.sent_at),
        "reported_at": to_micros(send.reported_at), "reported_by": send.reported_by,
        "reason": send.reason.value, "event_id": send.event_id,
        "violation_id": send.violation_id,
    }  # fmt: skip


def _violation(row: Any) -> Violation:
    m = row._mapping
    event = None
    if m["e_id"] is not None:
        event = DecidingEvent(
            m["e_id"], Action(m["e_action"]), Strength(m["e_strength"]), m["e_scope_id"],
            _at(m["e_recorded_at"]),
        )  # fmt: skip
    return Violation(
        id=m["id"], group_id=m["group_id"], contact_id=m["contact_id"],
        message_id=m["message_id"], channel=Channel(m["channel"]), scope_id=m["scope_id"],
        category=Category(m["category"]), sent_at=_at(m["sent_at"]),
        reason=Reason(m["reason"]), event=event, recorded_at=_at(m["recorded_at"]),
    )  # fmt: skip


def _violated(row: Any) -> ViolatedOptOut:
    event_id, contact_id, channel, scope_id, strength, at, last, count = row
    return ViolatedOptOut(
        event_id=event_id, contact_id=contact_id, channel=Channel(channel), scope_id=scope_id,
        strength=Strength(strength), recorded_at=_at(at), last_sent_at=_at(last),
        violations=int(count),
    )  # fmt: skip


class SqlSends:
    """The send report statements on one transaction (the adapter behind ``ports.SendTx``)."""

    def __init__(self, db: Db) -> None:
        self.db = db

    @translated
    def known_contacts(self, group_id: str, contact_ids: Sequence[str]) -> set[str]:
        c = t.contacts.c
        found: set[str] = set()
        for chunk in _chunks(contact_ids):
            query = select(c.id).where(c.group_id == group_id, c.id.in_(chunk))
            found.update(row[0] for row in self.db.conn.execute(query))
        return found

    @translated
    def events_until(
        self, contact_ids: Sequence[str], channels: Sequence[Channel], until: datetime
    ) -> dict[tuple[str, Channel], list[ConsentEvent]]:
        found: dict[tuple[str, Channel], list[ConsentEvent]] = {}
        for chunk in _chunks(contact_ids):
            query = (
                select(t.events)
                .where(
                    _E.contact_id.in_(chunk),
                    _E.channel.in_([ch.value for ch in channels]),
                    _E.recorded_at <= to_micros(until),
                )
                .order_by(_E.contact_id, _E.seq)
            )
            for row in self.db.conn.execute(query):
                event = event_from_row(row)
                found.setdefault((event.contact_id, event.channel), []).append(event)
        return found

    @translated
    def sends_by_message(self, group_id: str, message_ids: Sequence[str]) -> dict[str, Send]:
        found: dict[str, Send] = {}
        for chunk in _chunks(message_ids):
            query = select(t.send_reports).where(_S.group_id == group_id, _S.message_id.in_(chunk))
            found.update((s.message_id, s) for s in map(_send, self.db.conn.execute(query)))
        return found

    @translated
    def add_send(self, send: Send) -> Send:
        cursor = self.db.run(INSERT_SEND, _send_values(send), write=True)
        if cursor.rowcount == 1:
            return send
        return self.sends_by_message(send.group_id, [send.message_id])[send.message_id]

    @translated
    def add_violation(self, violation: Violation) -> None:
        v = violation
        self.db.run(INSERT_VIOLATION, {
            "contact_id": v.contact_id, "id": v.id, "group_id": v.group_id,
            "message_id": v.message_id, "channel": v.channel.value, "scope_id": v.scope_id,
            "category": v.category.value, "sent_at": to_micros(v.sent_at),
            "reason": v.reason.value, "event_id": None if v.event is None else v.event.id,
            "recorded_at": to_micros(v.recorded_at),
        }, write=True)  # fmt: skip

    @translated
    def violations(self, group_id: str, where: ViolationFilter) -> list[Violation]:
        joined = t.violations.outerjoin(
            t.events, and_(_E.id == _V.event_id, _E.contact_id == _V.contact_id)
        )
        query = select(
            *t.violations.c, _E.id.label("e_id"), _E.action.label("e_action"),
            _E.strength.label("e_strength"), _E.scope_id.label("e_scope_id"),
            _E.recorded_at.label("e_recorded_at"),
        ).select_from(joined)  # fmt: skip
        query = query.where(_V.group_id == group_id, _within(_V.scope_id, where.scope_id))
        if where.channel is not None:
            query = query.where(_V.channel == where.channel.value)
        if where.since is not None:
            query = query.where(_V.sent_at >= to_micros(where.since))
        if where.until is not None:
            query = query.where(_V.sent_at < to_micros(where.until))
        if where.after is not None:
            mark = select(_V.sent_at).where(_V.group_id == group_id, _V.id == where.after)
            at = mark.limit(1).correlate(None).scalar_subquery()
            query = query.where(or_(_V.sent_at < at, and_(_V.sent_at == at, _V.id < where.after)))
        query = query.order_by(_V.sent_at.desc(), _V.id.desc()).limit(where.limit)
        return [_violation(row) for row in self.db.conn.execute(query)]

    @translated
    def send_counts(
        self, group_id: str, scope_id: str, since: datetime, until: datetime
    ) -> list[SendCount]:
        violated = func.sum(case((_S.violation_id.is_not(None), 1), else_=0))
        query = (
            select(_S.scope_id, _S.channel, func.count(), violated)
            .where(
                _S.group_id == group_id, _within(_S.scope_id, scope_id),
                _S.sent_at >= to_micros(since), _S.sent_at < to_micros(until),
            )
            .group_by(_S.scope_id, _S.channel)
        )  # fmt: skip
        return [
            SendCount(scope, Channel(channel), int(sends), int(bad or 0))
            for scope, channel, sends, bad in self.db.conn.execute(query)
        ]

    def _opt_outs(self, group_id: str, scope_id: str, since: datetime, until: datetime) -> Any:
        """The opt-out events recorded in the window that decide sends from ``scope_id``."""
        return (
            _E.group_id == group_id,
            _E.action == Action.OPTED_OUT.value,
            or_(_E.scope_id.in_(path_to_root(scope_id)), _within(_E.scope_id, scope_id)),
            _E.recorded_at >= to_micros(since),
            _E.recorded_at < to_micros(until),
        )

    @translated
    def opt_out_counts(
        self, group_id: str, scope_id: str, since: datetime, until: datetime
    ) -> list[tuple[str, Channel, int]]:
        query = (
            select(_E.scope_id, _E.channel, func.count())
            .where(*self._opt_outs(group_id, scope_id, since, until))
            .group_by(_E.scope_id, _E.channel)
        )
        return [(s, Channel(ch), int(n)) for s, ch, n in self.db.conn.execute(query)]

    @translated
    def violated_opt_outs(
        self, group_id: str, scope_id: str, since: datetime, until: datetime
    ) -> list[ViolatedOptOut]:
        named = and_(
            _V.event_id == _E.id, _V.contact_id == _E.contact_id, _within(_V.scope_id, scope_id)
        )
        query = (
            select(
                _E.id, _E.contact_id, _E.channel, _E.scope_id, _E.strength, _E.recorded_at,
                func.max(_V.sent_at), func.count(),
            )
            .select_from(t.events.join(t.violations, named))
            .where(*self._opt_outs(group_id, scope_id, since, until))
            .group_by(_E.id, _E.contact_id, _E.channel, _E.scope_id, _E.strength, _E.recorded_at)
        )  # fmt: skip
        return [_violated(row) for row in self.db.conn.execute(query)]
