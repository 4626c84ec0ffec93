"""The statements behind journeys: messages, re-sends, scheduled journeys, runs (decision 078).

``claim_message`` is one ``INSERT … ON CONFLICT DO NOTHING`` on (contact, the sender's message
id), the pattern of ``feeds_sql.claim_feed_event``: whoever inserted the row owns the message;
a report of the same message again gets the stored one back. A re-send request is one
``UPDATE … WHERE resend_requested_at IS NULL``, so only the first of two concurrent requests
changes a row. A scheduled journey's run of a day is claimed by inserting its ``journey_runs``
row (a primary-key conflict: another worker ran it). The missed-messages list is a Core query
(its filters are optional), every other statement driver SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from consentry.adapters.store import schema as t
from consentry.adapters.store.driver import Db
from consentry.adapters.store.failures import translated
from consentry.core.channels import Channel
from consentry.core.eligibility import Category, Reason
from consentry.core.events import from_micros, to_micros
from consentry.core.journeys import (
    JourneyMessage,
    MissedFilter,
    Outcome,
    Resend,
    RunReport,
    ScheduledJourney,
)

MESSAGE_COLUMNS = (
    "contact_id", "message_id", "id", "group_id", "channel", "scope_id", "journey", "category",
    "triggered_at", "outcome", "reason", "decided_scope_id", "decided_event_id", "reported_by",
    "recorded_at", "scheduled_journey_id", "resend_requested_by", "resend_requested_at",
)  # fmt: skip
_MCOLS = ", ".join(MESSAGE_COLUMNS)
CLAIM_MESSAGE = (
    f"INSERT INTO journey_messages ({_MCOLS}) "
    f"VALUES ({', '.join(':' + c for c in MESSAGE_COLUMNS)}) "
    "ON CONFLICT DO NOTHING RETURNING id"
)
MESSAGE_BY_KEY = (
    f"SELECT {_MCOLS} FROM journey_messages "
    "WHERE contact_id = :contact_id AND message_id = :message_id"
)
MESSAGE_BY_ID = f"SELECT {_MCOLS} FROM journey_messages WHERE id = :id"
REQUEST_RESEND = (
    "UPDATE journey_messages SET resend_requested_by = :by, resend_requested_at = :at "
    "WHERE contact_id = :contact_id AND message_id = :message_id "
    "AND resend_requested_at IS NULL"
)

JOURNEY_COLUMNS = (
    "id", "group_id", "scope_id", "name", "channel", "category", "attribute", "created_by",
    "created_at",
)  # fmt: skip
_JCOLS = ", ".join(JOURNEY_COLUMNS)
INSERT_JOURNEY = (
    f"INSERT INTO scheduled_journeys ({_JCOLS}) "
    f"VALUES ({', '.join(':' + c for c in JOURNEY_COLUMNS)})"
)
GET_JOURNEY = f"SELECT {_JCOLS} FROM scheduled_journeys WHERE id = :id"
LIST_JOURNEYS = f"SELECT {_JCOLS} FROM scheduled_journeys WHERE group_id = :gid ORDER BY id"
DELETE_JOURNEY = "DELETE FROM scheduled_journeys WHERE id = :id"
DUE_JOURNEYS = (
    f"SELECT {', '.join('j.' + c for c in JOURNEY_COLUMNS)} FROM scheduled_journeys j "
    "WHERE NOT EXISTS (SELECT 1 FROM journey_runs r WHERE r.journey_id = j.id "
    "AND r.day = :day) ORDER BY j.id"
)
CLAIM_RUN = (
    "INSERT INTO journey_runs (journey_id, day, started_at, triggered, missed) "
    "VALUES (:journey_id, :day, :at, 0, 0) ON CONFLICT DO NOTHING RETURNING journey_id"
)
FINISH_RUN = (
    "UPDATE journey_runs SET finished_at = :at, triggered = :triggered, missed = :missed "
    "WHERE journey_id = :journey_id AND day = :day"
)
_EPOCH = date(1970, 1, 1)


def _at(micros: int) -> datetime:
    moment = from_micros(micros)
    assert moment is not None
    return moment


def _message(row: Sequence[Any]) -> JourneyMessage:
    m = dict(zip(MESSAGE_COLUMNS, row, strict=True))
    resend = None
    if m["resend_requested_at"] is not None:
        resend = Resend(
            requested_by=m["resend_requested_by"], requested_at=_at(m["resend_requested_at"])
        )
    return JourneyMessage(
        id=m["id"], group_id=m["group_id"], contact_id=m["contact_id"],
        channel=Channel(m["channel"]), scope_id=m["scope_id"], journey=m["journey"],
        category=Category(m["category"]), message_id=m["message_id"],
        triggered_at=_at(m["triggered_at"]), outcome=Outcome(m["outcome"]),
        reason=Reason(m["reason"]), decided_scope_id=m["decided_scope_id"],
        decided_event_id=m["decided_event_id"], reported_by=m["reported_by"],
        recorded_at=_at(m["recorded_at"]), scheduled_journey_id=m["scheduled_journey_id"],
        resend=resend,
    )  # fmt: skip


def _message_values(message: JourneyMessage) -> dict[str, Any]:
    resend = message.resend
    return {
        "contact_id": message.contact_id, "message_id": message.message_id, "id": message.id,
        "group_id": message.group_id, "channel": message.channel.value,
        "scope_id": message.scope_id, "journey": message.journey,
        "category": message.category.value, "triggered_at": to_micros(message.triggered_at),
        "outcome": message.outcome.value, "reason": message.reason.value,
        "decided_scope_id": message.decided_scope_id,
        "decided_event_id": message.decided_event_id, "reported_by": message.reported_by,
        "recorded_at": to_micros(message.recorded_at),
        "scheduled_journey_id": message.scheduled_journey_id,
        "resend_requested_by": None if resend is None else resend.requested_by,
        "resend_requested_at": None if resend is None else to_micros(resend.requested_at),
    }  # fmt: skip


def _journey(row: Sequence[Any]) -> ScheduledJourney:
    m = dict(zip(JOURNEY_COLUMNS, row, strict=True))
    return ScheduledJourney(
        id=m["id"], group_id=m["group_id"], scope_id=m["scope_id"], name=m["name"],
        channel=Channel(m["channel"]), category=Category(m["category"]),
        attribute=m["attribute"], created_by=m["created_by"], created_at=_at(m["created_at"]),
    )  # fmt: skip


def _day(day: date) -> int:
    return (day - _EPOCH).days


class SqlJourneys:
    """The journey statements on one transaction (the adapter behind ``ports.JourneyTx``)."""

    def __init__(self, db: Db) -> None:
        self.db = db

    @translated
    def claim_message(self, message: JourneyMessage) -> JourneyMessage | None:
        if self.db.one(CLAIM_MESSAGE, _message_values(message), write=True) is not None:
            return None
        key = {"contact_id": message.contact_id, "message_id": message.message_id}
        stored = self.db.one(MESSAGE_BY_KEY, key)
        assert stored is not None  # the conflicting row: it is never deleted
        return _message(stored)

    @translated
    def get_message(self, message_id: str) -> JourneyMessage | None:
        row = self.db.one(MESSAGE_BY_ID, {"id": message_id})
        return None if row is None else _message(row)

    @translated
    def missed(self, group_id: str, where: MissedFilter) -> list[JourneyMessage]:
        m = t.journey_messages.c
        query = select(*(m[c] for c in MESSAGE_COLUMNS)).where(
            m.group_id == group_id,
            m.outcome == Outcome.MISSED.value,
            (m.scope_id == where.scope_id)
            | m.scope_id.startswith(where.scope_id + "/", autoescape=True),
        )
        if where.contact_id is not None:
            query = query.where(m.contact_id == where.contact_id)
        if where.journey is not None:
            query = query.where(m.journey == where.journey)
        if where.channel is not None:
            query = query.where(m.channel == where.channel.value)
        if where.after is not None:
            query = query.where(m.id < where.after)
        query = query.order_by(m.id.desc()).limit(where.limit + 1)
        return [_message(tuple(r)) for r in self.db.conn.execute(query)]

    @translated
    def request_resend(self, message: JourneyMessage, resend: Resend) -> bool:
        values = {
            "by": resend.requested_by, "at": to_micros(resend.requested_at),
            "contact_id": message.contact_id, "message_id": message.message_id,
        }  # fmt: skip
        return bool(self.db.run(REQUEST_RESEND, values, write=True).rowcount == 1)

    @translated
    def add_journey(self, journey: ScheduledJourney) -> None:
        self.db.run(INSERT_JOURNEY, {
            "id": journey.id, "group_id": journey.group_id, "scope_id": journey.scope_id,
            "name": journey.name, "channel": journey.channel.value,
            "category": journey.category.value, "attribute": journey.attribute,
            "created_by": journey.created_by, "created_at": to_micros(journey.created_at),
        }, write=True)  # fmt: skip

    @translated
    def get_journey(self, journey_id: str) -> ScheduledJourney | None:
        row = self.db.one(GET_JOURNEY, {"id": journey_id})
        return None if row is None else _journey(row)

    @translated
    def list_journeys(self, group_id: str) -> list[ScheduledJourney]:
        return [_journey(r) for r in self.db.all(LIST_JOURNEYS, {"gid": group_id})]

    @translated
    def delete_journey(self, journey_id: str) -> None:
        self.db.run(DELETE_JOURNEY, {"id": journey_id}, write=True)

    @translated
    def due_journeys(self, day: date) -> list[ScheduledJourney]:
        return [_journey(r) for r in self.db.all(DUE_JOURNEYS, {"day": _day(day)})]

    @translated
    def claim_run(self, journey_id: str, day: date, at: datetime) -> bool:
        values = {"journey_id": journey_id, "day": _day(day), "at": to_micros(at)}
        return self.db.one(CLAIM_RUN, values, write=True) is not None

    @translated
    def finish_run(self, journey_id: str, day: date, report: RunReport, at: datetime) -> None:
        self.db.run(FINISH_RUN, {
            "journey_id": journey_id, "day": _day(day), "at": to_micros(at),
            "triggered": report.triggered, "missed": report.missed,
        }, write=True)  # fmt: skip
